import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import type { Connect, Plugin } from 'vite';

/**
 * Serves a local folder of Hugging Face-layout models at `/models/` in dev and preview, so tests
 * and offline development use the same loading code as the Hub. The folder comes from the
 * `LUMINA_MODELS_DIR` environment variable; `/models/index.json` lists the model folders in it.
 */
export function serveModels(dir = process.env.LUMINA_MODELS_DIR): Plugin {
  const root = dir ? resolve(dir) : null;
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const url = req.url ?? '';
    if (!root || !url.startsWith('/models/')) return next();
    const rel = decodeURIComponent(url.slice('/models/'.length).split('?')[0] ?? '');
    if (rel === 'index.json') {
      const models = existsSync(root)
        ? readdirSync(root).filter(
            (name) =>
              existsSync(join(root, name, 'config.json')) ||
              existsSync(join(root, name, 'tokenizer.json')),
          )
        : [];
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ models }));
      return;
    }
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader(
      'Content-Type',
      file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    );
    createReadStream(file).pipe(res);
  };
  return {
    name: 'lumina-serve-models',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
  };
}
