/**
 * Stands in for `target`: answers the properties in `overrides` itself and forwards every other one to the
 * target, methods bound to it (drivers and clients keep private state that only their own `this` reaches).
 */
export function forwardingProxy<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in overrides) return overrides[property as keyof T];
      const value = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
