/**
 * HF's BertForSequenceClassification scored in float64 from the PyTorch-layout weights, for the
 * cross-encoder tests in Node and in Chromium. Shares no code with the ONNX export or the runtime.
 */
import type { BertConfig } from '../../src/core/model/bert-config.ts';
import type { BertWeights } from '../../src/core/model/init.ts';
import { decodeSafetensors, tensorToFloat32 } from '../../src/core/model/safetensors.ts';
import { referenceBertForward } from './reference-bert.ts';

const CLS = 101;
const SEP = 102;

/** The weights as HF would load them: from model.safetensors, `bert.` prefix stripped. */
export function crossEncoderWeights(files: ReadonlyMap<string, Uint8Array>): BertWeights {
  const file = decodeSafetensors(files.get('model.safetensors') as Uint8Array);
  const weights: BertWeights = new Map();
  for (const [name, tensor] of file.tensors) {
    weights.set(name.replace(/^bert\./, ''), {
      dtype: 'F32',
      shape: [...tensor.shape],
      data: tensorToFloat32(tensor),
    });
  }
  return weights;
}

/**
 * The reference encoder, then tanh(pooler(hidden[CLS])) and the classifier. The pair is built by
 * hand as BERT does, `[CLS] query [SEP] passage [SEP]` with token types 0 then 1.
 */
export function referenceCrossEncoderLogit(
  config: BertConfig,
  weights: BertWeights,
  tokenizer: { encode(text: string): { ids: number[] } },
  query: string,
  passage: string,
): number {
  const a = tokenizer.encode(query).ids;
  const b = tokenizer.encode(passage).ids;
  const ids = [CLS, ...a, SEP, ...b, SEP];
  const types = [...Array<number>(a.length + 2).fill(0), ...Array<number>(b.length + 1).fill(1)];
  const hidden = referenceBertForward(config, weights, {
    inputIds: [ids],
    attentionMask: [ids.map(() => 1)],
    tokenTypeIds: [types],
  });
  const h = config.hiddenSize;
  const first = hidden.data.subarray(0, h);
  const tensor = (name: string) => (weights.get(name) as { data: Float32Array }).data;
  const [poolW, poolB] = [tensor('pooler.dense.weight'), tensor('pooler.dense.bias')];
  const pooled = Array.from({ length: h }, (_, o) => {
    let sum = poolB[o] as number;
    for (let i = 0; i < h; i++) sum += (poolW[o * h + i] as number) * (first[i] as number);
    return Math.tanh(sum);
  });
  const [headW, headB] = [tensor('classifier.weight'), tensor('classifier.bias')];
  return pooled.reduce((sum, v, i) => sum + v * (headW[i] as number), headB[0] as number);
}
