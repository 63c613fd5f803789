import type { BertConfig } from './bert-config.ts';

/** How Hugging Face's `BertPreTrainedModel._init_weights` initialises a tensor. */
export type TensorInit = 'normal' | 'zeros' | 'ones';

export interface TensorSpec {
  /** The exact Hugging Face `BertModel` state-dict name. */
  name: string;
  /** PyTorch layout: linear weights are [out, in]. */
  shape: number[];
  init: TensorInit;
}

export interface BertTensorOptions {
  /** Include `pooler.dense.*` (HF's `BertModel` has it by default; embeddings do not use it). */
  pooler?: boolean;
}

/** Every tensor of a BERT encoder, in state-dict order. */
export function bertTensorSpecs(config: BertConfig, options: BertTensorOptions = {}): TensorSpec[] {
  const { hiddenSize: h, intermediateSize: ff } = config;
  const specs: TensorSpec[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [config.vocabSize, h], init: 'normal' },
    {
      name: 'embeddings.position_embeddings.weight',
      shape: [config.maxPositionEmbeddings, h],
      init: 'normal',
    },
    {
      name: 'embeddings.token_type_embeddings.weight',
      shape: [config.typeVocabSize, h],
      init: 'normal',
    },
    ...layerNorm('embeddings.LayerNorm', h),
  ];
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const layer = `encoder.layer.${i}`;
    specs.push(
      ...linear(`${layer}.attention.self.query`, h, h),
      ...linear(`${layer}.attention.self.key`, h, h),
      ...linear(`${layer}.attention.self.value`, h, h),
      ...linear(`${layer}.attention.output.dense`, h, h),
      ...layerNorm(`${layer}.attention.output.LayerNorm`, h),
      ...linear(`${layer}.intermediate.dense`, h, ff),
      ...linear(`${layer}.output.dense`, ff, h),
      ...layerNorm(`${layer}.output.LayerNorm`, h),
    );
  }
  if (options.pooler ?? true) specs.push(...linear('pooler.dense', h, h));
  return specs;
}

export function countParameters(specs: readonly TensorSpec[]): number {
  return specs.reduce((total, spec) => total + spec.shape.reduce((a, b) => a * b, 1), 0);
}

function linear(prefix: string, inputs: number, outputs: number): TensorSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [outputs, inputs], init: 'normal' },
    { name: `${prefix}.bias`, shape: [outputs], init: 'zeros' },
  ];
}

function layerNorm(prefix: string, size: number): TensorSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [size], init: 'ones' },
    { name: `${prefix}.bias`, shape: [size], init: 'zeros' },
  ];
}
