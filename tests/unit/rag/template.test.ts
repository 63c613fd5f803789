import { describe, expect, it } from 'vitest';
import {
  buildPrompt,
  chatTemplateOf,
  DEFAULT_PROMPT_TEMPLATE,
  fillPromptTemplate,
  renderChatTemplate,
} from '../../../src/core/rag/index.ts';

/** ChatML as Qwen-style instruct models ship it in tokenizer_config.json. */
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Uses a special token from the config, as Llama templates use bos_token. */
const WITH_BOS =
  '{{ bos_token }}{% for message in messages %}[{{ message.role }}] {{ message.content }}{% endfor %}';

describe('prompt templates', () => {
  it('fills {context} and {question} once, leaving braces in the values alone', () => {
    const out = fillPromptTemplate('C: {context}\nQ: {question}', {
      context: '[1] a {question} b',
      question: 'why {context}?',
    });
    expect(out).toBe('C: [1] a {question} b\nQ: why {context}?');
    expect(() => fillPromptTemplate('no slots {question}', { context: '', question: '' })).toThrow(
      /\{context\}/,
    );
    expect(DEFAULT_PROMPT_TEMPLATE).toContain('{context}');
  });

  it("renders a model's chat template as transformers.js does", () => {
    const config = { chat_template: CHATML, eos_token: '<|im_end|>' };
    expect(renderChatTemplate(config, [{ role: 'user', content: 'Hi' }])).toBe(
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    const bos = { chat_template: WITH_BOS, bos_token: { __type: 'AddedToken', content: '<s>' } };
    expect(renderChatTemplate(bos, [{ role: 'user', content: 'x' }], false)).toBe('<s>[user] x');
  });

  it('buildPrompt wraps the filled template in the chat template only when there is one', () => {
    const parts = { context: '[1] Paris is in France.', question: 'Where is Paris?' };
    const plain = buildPrompt(parts);
    expect(plain).toBe(fillPromptTemplate(DEFAULT_PROMPT_TEMPLATE, parts));
    const chat = buildPrompt(parts, { tokenizerConfig: { chat_template: CHATML } });
    expect(chat).toBe(`<|im_start|>user\n${plain}<|im_end|>\n<|im_start|>assistant\n`);
    expect(buildPrompt(parts, { tokenizerConfig: {} })).toBe(plain);
    expect(chatTemplateOf({ chat_template: [{ name: 'default', template: 'T' }] })).toBe('T');
  });
});
