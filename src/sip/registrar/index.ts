/** The registrar: bindings of AORs to contacts (RFC 3261 §10.3, RFC 5626, RFC 3327). */
export { RegistrarError, type RegistrarErrorCode } from './errors.ts';
export { FileBindingStore, type FileBindingStoreOptions } from './file-store.ts';
export { MemoryBindingStore } from './memory-store.ts';
export { Registrar, type RegistrarOptions } from './registrar.ts';
export type {
  Binding,
  BindingSource,
  BindingStore,
  BindingView,
  ContactInput,
  RegisterInput,
  RegisterResult,
  RegistrarEvent,
  RegistrarListener,
} from './types.ts';
export { canonicalAor, contactKey } from './uri.ts';
