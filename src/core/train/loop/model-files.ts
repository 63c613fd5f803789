/**
 * The files of a trained encoder in the Hugging Face layout: config.json, model.safetensors and
 * the tokenizer's files. The HF/ONNX exporter adds its own (onnx/model.onnx, modules.json…).
 */
export interface TrainedModelInput {
  /** HF `config.json` of the encoder (TrainMlmResult.hfConfig). */
  hfConfig: Record<string, string | number | string[]>;
  /** Weights-only encoder with BertModel names (TrainMlmResult.encoderSafetensors). */
  encoderSafetensors: Uint8Array;
  /** tokenizer.json and companions (tokenizer_config.json, special_tokens_map.json, vocab.txt). */
  tokenizerFiles: Record<string, string | Uint8Array>;
}

/** Path in the model folder → bytes. */
export function trainedModelFiles(input: TrainedModelInput): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  files.set('config.json', encoder.encode(`${JSON.stringify(input.hfConfig, null, 2)}\n`));
  files.set('model.safetensors', input.encoderSafetensors);
  for (const [name, content] of Object.entries(input.tokenizerFiles)) {
    files.set(name, typeof content === 'string' ? encoder.encode(content) : content);
  }
  return files;
}
