// Node runs this example's JavaScript as it is, with no compiler, and JavaScript has no decorator syntax
// yet. Nest's decorators are plain functions, though: these three apply them where TypeScript's `@`
// would, in the same order (the one nearest the declaration first), with reflect-metadata's
// Reflect.decorate, which is what tsc's own output calls.
//
//   @Controller('products') class ProductsController
//     → decorateClass(ProductsController, Controller('products'))
//   @Get(':id') @CacheResponse() findOne(…)
//     → decorateMethod(ProductsController, 'findOne', Get(':id'), CacheResponse())
//   findOne(@Param('id') id)
//     → decorateParameter(ProductsController, 'findOne', 0, Param('id'))
//   constructor(@Inject(Catalogue) catalogue)
//     → decorateParameter(ProductsController, 'constructor', 0, Inject(Catalogue))
//
// Without a compiler there is no `emitDecoratorMetadata` either, so every constructor parameter names
// what Nest injects into it (`Inject(…)`, `InjectMemwire()`), where TypeScript could infer it from a type.
import 'reflect-metadata';

/** `@decorators class Target`. */
export function decorateClass(Target, ...decorators) {
  const decorated = Reflect.decorate(decorators, Target);
  if (decorated !== Target) throw new Error(`a decorator replaced the class ${Target.name}`);
}

/** `@decorators method() {…}` in class `Target`. */
export function decorateMethod(Target, method, ...decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(Target.prototype, method);
  if (descriptor === undefined) throw new Error(`${Target.name} has no method ${method}`);
  Object.defineProperty(
    Target.prototype,
    method,
    Reflect.decorate(decorators, Target.prototype, method, descriptor),
  );
}

/** `method(…, @decorator parameter)`: the parameter at `index` of `method` (or of the `'constructor'`). */
export function decorateParameter(Target, method, index, decorator) {
  if (method === 'constructor') decorator(Target, undefined, index);
  else decorator(Target.prototype, method, index);
}
