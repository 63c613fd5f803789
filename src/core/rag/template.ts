import { Template } from '@huggingface/jinja';

/** The prompt when the generator has no chat template; users may edit it in the app. */
export const DEFAULT_PROMPT_TEMPLATE = [
  'Answer the question using only the numbered sources below. Cite the sources you use as [1],',
  '[2]… right after the sentence they support. If the sources do not contain the answer, say',
  'that you could not find it.',
  '',
  'Sources:',
  '{context}',
  '',
  'Question: {question}',
  'Answer:',
].join('\n');

export interface PromptParts {
  context: string;
  question: string;
}

/**
 * Fills `{context}` and `{question}` in one pass, so braces inside the sources or the question
 * are never taken for placeholders. Both placeholders must be present.
 */
export function fillPromptTemplate(template: string, parts: PromptParts): string {
  for (const name of ['context', 'question'] as const) {
    if (!template.includes(`{${name}}`)) {
      throw new Error(`The prompt template has no {${name}} placeholder.`);
    }
  }
  return template.replace(
    /\{(context|question)\}/g,
    (_, name: 'context' | 'question') => parts[name],
  );
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The special tokens chat templates refer to, as transformers.js passes them. */
const SPECIAL_TOKENS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

/** A tokenizer_config.json value that is a token: a string or an AddedToken object. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'content' in value) {
    const content = (value as { content: unknown }).content;
    if (typeof content === 'string') return content;
  }
  return undefined;
}

/** The chat template of a tokenizer_config.json (a string, or the `default` of a named list). */
export function chatTemplateOf(tokenizerConfig: Record<string, unknown>): string | null {
  const template = tokenizerConfig['chat_template'];
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    for (const entry of template as unknown[]) {
      if (typeof entry === 'object' && entry !== null) {
        const { name, template: text } = entry as { name?: unknown; template?: unknown };
        if (name === 'default' && typeof text === 'string') return text;
      }
    }
  }
  return null;
}

/**
 * Renders messages with the model's chat template the way transformers.js'
 * `apply_chat_template` does (same @huggingface/jinja engine, same variables: messages,
 * add_generation_prompt and the special tokens), without loading a tokenizer.
 */
export function renderChatTemplate(
  tokenizerConfig: Record<string, unknown>,
  messages: readonly ChatMessage[],
  addGenerationPrompt = true,
): string {
  const template = chatTemplateOf(tokenizerConfig);
  if (template === null) throw new Error('The tokenizer_config.json has no chat_template.');
  const specials: Record<string, string> = {};
  for (const key of SPECIAL_TOKENS) {
    const text = tokenText(tokenizerConfig[key]);
    if (text) specials[key] = text;
  }
  return new Template(template).render({
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: addGenerationPrompt,
    ...specials,
  });
}

/**
 * The generator's prompt: the filled template as the user turn of the model's chat template when
 * its tokenizer_config.json has one, else the filled template as plain text.
 */
export function buildPrompt(
  parts: PromptParts,
  {
    template = DEFAULT_PROMPT_TEMPLATE,
    tokenizerConfig,
  }: { template?: string; tokenizerConfig?: Record<string, unknown> } = {},
): string {
  const filled = fillPromptTemplate(template, parts);
  if (tokenizerConfig && chatTemplateOf(tokenizerConfig) !== null) {
    return renderChatTemplate(tokenizerConfig, [{ role: 'user', content: filled }]);
  }
  return filled;
}
