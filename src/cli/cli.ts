import { askCommand } from './ask.ts';
import {
  bundleExportJsonlCommand,
  bundleExportProjectorCommand,
  bundleInspectCommand,
  bundleMergeCommand,
} from './bundle.ts';
import { UsageError, type CliIo, type Command } from './cli-types.ts';
import { embedCommand } from './embed.ts';
import { evalBeirCommand } from './eval-beir.ts';
import { evalStsCommand } from './eval-sts.ts';
import { finetuneCommand } from './finetune.ts';
import { hubImportCommand } from './hub-import.ts';
import { modelInitCommand } from './model-init.ts';
import { tokenizerTrainCommand } from './tokenizer-train.ts';
import { trainClmCommand } from './train-clm.ts';
import { trainMlmCommand } from './train-mlm.ts';

const COMMANDS: Record<string, Record<string, { run: Command; summary: string }>> = {
  ask: {
    '': {
      run: askCommand,
      summary:
        'ask --data <bundle.lumina> --question "…" [--retriever bm25|dense|hybrid] [--extractive] ' +
        '[--top-k 5] [--model <dir|owner/name>] [--neighbours N] [--mmr <lambda>] ' +
        '[--budget-tokens 1024] [--generator <dir|owner/name> [--temperature 0] [--top-p 1] ' +
        '[--max-tokens 256]] [--reranker <dir|owner/name>]  answer from the bundle with cited ' +
        'sources (generated text streams to stderr), then a JSON line',
    },
  },
  bundle: {
    inspect: {
      run: bundleInspectCommand,
      summary: 'bundle inspect <bundle.lumina>  print the manifest summary and validation as JSON',
    },
    merge: {
      run: bundleMergeCommand,
      summary:
        'bundle merge <a.lumina> <b.lumina>… --out <merged.lumina>  merge shards embedded ' +
        'the same way (duplicate chunks kept once)',
    },
    'export-projector': {
      run: bundleExportProjectorCommand,
      summary:
        'bundle export-projector <bundle.lumina> --out <dir>  vectors.tsv and metadata.tsv ' +
        'for the Embedding Projector',
    },
    'export-jsonl': {
      run: bundleExportJsonlCommand,
      summary:
        'bundle export-jsonl <bundle.lumina> --out <file.jsonl>  one JSON line per chunk ' +
        'with its embedding',
    },
  },
  embed: {
    '': {
      run: embedCommand,
      summary:
        'embed <files|dirs…> --model <dir|owner/name> [--revision main] --out <bundle.lumina> ' +
        '[--device auto|wasm|webgpu] [--chunk-tokens N] [--overlap N] [--batch-tokens N]  ' +
        'embed files into a bundle (resumable; a hub id is downloaded once into the cache)',
    },
  },
  eval: {
    beir: {
      run: evalBeirCommand,
      summary:
        'eval beir --data <dir> [--retriever bm25|dense:<model-dir>|hybrid:<model-dir>] ' +
        '[--split test] [--k1 1.2] [--b 0.75] [--bm25-fields multi|flat] [--tie-breaker 0.5] ' +
        '[--fusion rrf|weighted] [--alpha 0.5] ' +
        '[--depth 1000] [--run-out <file>]  IR metrics of a retriever on a BEIR dataset',
    },
    sts: {
      run: evalStsCommand,
      summary:
        'eval sts --data <sts.tsv|csv> --model <dir>  Spearman and Pearson of cosine similarity',
    },
  },
  finetune: {
    '': {
      run: finetuneCommand,
      summary:
        'finetune --base <model-dir|owner/name> [--revision R] --pairs <file|beir-dir> ' +
        '--loss mnrl|contrastive|online-contrastive|cosine --out <model-dir> ' +
        '[--eval <beir-dir|sts-file>] [--epochs N] [--batch N] [--lr X] [--max-steps N] ' +
        '[--resume] [--limit N] [--max-length 128] [--seed N] [--pooling mean|cls] ' +
        '[--backend wasm|cpu]  fine-tune a sentence encoder; before/after table on stderr, ' +
        'the model (HF layout + ONNX) in --out, a JSON line of results',
    },
  },
  hub: {
    import: {
      run: hubImportCommand,
      summary:
        'hub import <dataset-id> [--config C] [--split S] [--text COL] [--id COL] [--limit 1000] ' +
        '--out <file.jsonl> [--endpoint URL]  the first rows of a Hugging Face dataset split ' +
        'as JSONL documents (HF_TOKEN for gated ones)',
    },
  },
  model: {
    init: {
      run: modelInitCommand,
      summary:
        'model init --config <config.json> --tokenizer <dir> --seed <n> --out <dir>  ' +
        'write a seeded random BERT in the Hugging Face layout',
    },
  },
  train: {
    mlm: {
      run: trainMlmCommand,
      summary:
        'train mlm --corpus <files…> --config <config.yaml> --out <model-dir> [--resume] ' +
        '[--tokenizer <tokenizer.json|dir>] [--init <model-dir>] [--backend cpu|wasm] ' +
        '[--keep-checkpoints 2]  MLM-pretrain a BERT encoder (checkpoints in <out>/checkpoints, ' +
        'Ctrl-C stops with a checkpoint); prints a JSON line of metrics',
    },
    clm: {
      run: trainClmCommand,
      summary:
        'train clm --corpus <files…> --config <config.yaml> --out <model-dir> [--resume] ' +
        '[--tokenizer <tokenizer.json|dir> | --vocab N] [--init <model-dir>] [--backend cpu|wasm] ' +
        '[--keep-checkpoints 2]  causal-LM-pretrain a GPT-2 decoder (the model section gives ' +
        'its sizes; a byte-level BPE is trained on the corpus unless --tokenizer); writes a ' +
        'text-generation folder for ask --generator; prints a JSON line with val_perplexity',
    },
  },
  tokenizer: {
    train: {
      run: tokenizerTrainCommand,
      summary:
        'tokenizer train --corpus <files…> --type bpe|wordpiece --vocab N --out <tokenizer.json> ' +
        '[--min-frequency 2] [--lowercase|--cased] [--strip-accents] [--add-prefix-space] ' +
        '[--limit-alphabet N] [--special a,b,c] [--held-out <file>] [--hold-out-every N]  ' +
        'train a tokenizer (tokenizer.json + config files); prints a JSON line of metrics',
    },
  },
};

const defaultIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Runs `lumina <group> <command> [options]` and returns the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [group, ...after] = argv;
  if (group === undefined || group === '--help' || group === 'help') {
    io.stdout(usage());
    return 0;
  }
  // A group with a '' entry is a command of its own (`lumina embed <files…>`).
  const single = COMMANDS[group]?.[''] !== undefined;
  const name = single ? '' : after[0];
  const rest = single ? after : after.slice(1);
  const command = COMMANDS[group]?.[name ?? ''];
  if (!command) {
    io.stderr(`Unknown command "${[group, name].filter(Boolean).join(' ')}".\n${usage()}`);
    return 2;
  }
  const label = [group, name].filter(Boolean).join(' ');
  try {
    await command.run(rest, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`lumina ${label}: ${error.message}\nUsage: lumina ${command.summary}`);
      return 2;
    }
    io.stderr(`lumina ${label}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((group) =>
    Object.values(group).map((command) => `  lumina ${command.summary}`),
  );
  return ['Usage:', ...lines].join('\n');
}
