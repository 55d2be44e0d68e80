/** Tables of migration 004 (the policy each product keeps per kind of key issued without naming one). */

export interface ManagedPoliciesTable {
  product_id: number;
  purpose: string;
  policy_id: number;
}

export interface LifecycleTables {
  managed_policies: ManagedPoliciesTable;
}
