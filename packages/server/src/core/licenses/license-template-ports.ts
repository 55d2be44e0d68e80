import type { LicenseTemplate } from '../model.js';

/** License templates: the settings a new license of a policy starts from. */

export interface LicenseTemplateRepository {
  insert(input: Omit<LicenseTemplate, 'id'>): Promise<LicenseTemplate>;
  findById(id: number): Promise<LicenseTemplate | null>;
  list(input: { policyId: number | null; after: number | null; limit: number }): Promise<LicenseTemplate[]>;
  update(
    id: number,
    changes: Partial<Omit<LicenseTemplate, 'id' | 'createdAt'>>,
  ): Promise<LicenseTemplate | null>;
  delete(id: number): Promise<boolean>;
}

/** The repository above, as `Repositories` holds it. */
export interface LicenseTemplateRepositories {
  licenseTemplates: LicenseTemplateRepository;
}
