export { MemwireInstrumentation } from './instrumentation.js';
export { MEMWIRE_INSTRUMENTATION_DEFAULTS, type MemwireInstrumentationConfig } from './options.js';
