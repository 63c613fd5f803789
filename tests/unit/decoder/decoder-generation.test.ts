import path from 'node:path';
import { pipeline, type TextGenerationPipeline } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildSeededDecoderFolder,
  TransformersTextGenerator,
  type DecoderFolder,
} from '../../../src/core/model/decoder/index.ts';
import { createEncoder } from '../../../src/core/tokenizer/train/encoder.ts';
import type { TrainedTokenizerJson } from '../../../src/core/tokenizer/train/types.ts';
import { referenceGreedy } from '../../support/reference-decoder.ts';
import { decoderTokenizer, tinyDecoderConfig } from './fixtures.ts';
import { folderJson, GPT2_FOLDER_FILES } from './gpt2-folder.ts';
import { writeFolder } from './write-folder.ts';
import { useLocalModelRoot } from '../../support/local-models.ts';

const models = useLocalModelRoot('lumina-decoder-');
let tokenizer: TrainedTokenizerJson;

beforeAll(async () => {
  tokenizer = await decoderTokenizer();
});

async function load(name: string, folder: DecoderFolder): Promise<TextGenerationPipeline> {
  await writeFolder(path.join(models.root, name), folder.files);
  return pipeline('text-generation', name, { dtype: 'fp32', device: 'cpu' });
}

const PROMPT = '<|user|>What does sunlight do?</s><|assistant|>';
const MAX_NEW = 12;

function promptIds(): number[] {
  return createEncoder({ ...tokenizer, post_processor: null }).encode(PROMPT).ids;
}

describe('seeded GPT-2 folder in transformers.js', () => {
  it('writes the HF layout with the seeded flag and a chat template', async () => {
    const folder = await buildSeededDecoderFolder({
      config: tinyDecoderConfig(tokenizer),
      seed: 3,
      tokenizer,
    });
    expect([...folder.files.keys()].sort()).toEqual(GPT2_FOLDER_FILES);
    const config = folderJson(folder.files, 'config.json');
    expect(config['model_type']).toBe('gpt2');
    expect(config['lumina_seeded']).toBe(true);
    const tokConfig = folderJson(folder.files, 'tokenizer_config.json');
    expect(typeof tokConfig['chat_template']).toBe('string');
  });

  it('greedy-generates exactly the reference continuation (KV cache)', async () => {
    const config = tinyDecoderConfig(tokenizer);
    const folder = await buildSeededDecoderFolder({ config, seed: 11, tokenizer });
    const ids = referenceGreedy(config, folder.weights, promptIds(), MAX_NEW);
    const generator = await load('greedy', folder);
    expect(generator.model.sessions['model']?.inputNames).toContain('past_key_values.0.key');
    expect(generator.tokenizer.encode(PROMPT, { add_special_tokens: false })).toEqual(promptIds());
    const out = (await generator(PROMPT, {
      max_new_tokens: MAX_NEW,
      do_sample: false,
      return_full_text: false,
      add_special_tokens: false,
    })) as { generated_text: string }[];
    const expected = generator.tokenizer.decode(ids, { skip_special_tokens: true });
    expect(ids.length).toBe(MAX_NEW);
    expect(expected.length).toBeGreaterThan(0);
    expect(out[0]?.generated_text).toBe(expected);
    await generator.dispose();
  });

  it('emits the scripted text after <|assistant|> and stops at </s>', async () => {
    const scriptedText = ' Sunlight helps the skin [1].';
    const folder = await buildSeededDecoderFolder({
      config: tinyDecoderConfig(tokenizer, { tieWordEmbeddings: false }),
      seed: 5,
      tokenizer,
      scriptedText,
    });
    expect(referenceGreedy(folder.config, folder.weights, promptIds(), 40)).toEqual(
      folder.scriptedIds,
    );
    const generator = await load('scripted', folder);
    const out = (await generator(PROMPT, {
      max_new_tokens: 40,
      do_sample: false,
      return_full_text: false,
      add_special_tokens: false,
    })) as { generated_text: string }[];
    expect(out[0]?.generated_text).toBe(scriptedText);
    await generator.dispose();
  });
  it('streams the same greedy continuation through the token-by-token generator', async () => {
    const config = tinyDecoderConfig(tokenizer);
    const folder = await buildSeededDecoderFolder({ config, seed: 11, tokenizer });
    const ids = referenceGreedy(config, folder.weights, promptIds(), MAX_NEW);
    const hf = await load('greedy-check', folder);
    const expected = hf.tokenizer.decode(ids, { skip_special_tokens: true });
    await hf.dispose();
    // Last: Lumina's runtime takes over transformers.js' global env (local folders from memory).
    const generator = await TransformersTextGenerator.load(
      { kind: 'files', files: folder.files },
      { device: 'wasm' },
    );
    const pieces: string[] = [];
    const result = await generator.generate(PROMPT, {
      maxNewTokens: MAX_NEW,
      temperature: 0,
      topP: 1,
      onToken: (piece) => pieces.push(piece),
    });
    expect(result.text).toBe(expected);
    expect(result.tokens).toBe(ids.filter((id) => id !== config.eosTokenId).length);
    expect(pieces.join('')).toBe(expected);
    await generator.dispose();
  });
});
