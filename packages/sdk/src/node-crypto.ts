/**
 * Node's crypto module, loaded only where WebCrypto falls short and only under Node. The specifier is a
 * variable so that browser bundlers neither follow nor bundle it.
 */
type NodeCrypto = typeof import('node:crypto');

const NODE_CRYPTO = 'node:crypto';
let loaded: Promise<NodeCrypto | null> | null = null;

export function loadNodeCrypto(): Promise<NodeCrypto | null> {
  const isNode = typeof globalThis.process !== 'undefined' && Boolean(globalThis.process.versions?.node);
  if (!isNode) return Promise.resolve(null);
  loaded ??= import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_CRYPTO).then(
    (module: NodeCrypto) => module,
    () => null,
  );
  return loaded;
}
