import type { Product } from './api';
import { Field } from './ui';

/**
 * A labelled choice of one product, or none: the empty value stands for "no product" and its wording
 * (`noneLabel`) says what that means where the picker is used ("every product", "the account").
 */
export function ProductPicker({
  label,
  hint,
  noneLabel,
  products,
  value,
  onChange,
}: {
  label: string;
  hint?: string;
  noneLabel: string;
  products: readonly Product[];
  value: string;
  onChange: (productId: string) => void;
}) {
  return (
    <Field label={label} hint={hint}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">{noneLabel}</option>
          {products.map((product) => (
            <option key={product.id} value={product.id}>
              {product.name}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
