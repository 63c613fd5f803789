/** Every file of the HF GPT-2 folder Lumina writes, seeded or trained, sorted. */
export const GPT2_FOLDER_FILES = [
  'config.json',
  'generation_config.json',
  'model.safetensors',
  'onnx/model.onnx',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

/** A JSON file of a model folder, parsed as an object. */
export function folderJson(
  files: ReadonlyMap<string, Uint8Array>,
  name: string,
): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(files.get(name))) as Record<string, unknown>;
}
