import type { DataObject, DataObjectOwner } from '../model.js';

/** Data objects: named values a product, license or machine carries. */

export interface DataObjectRepository {
  insert(input: Omit<DataObject, 'id'>): Promise<DataObject>;
  findById(id: number): Promise<DataObject | null>;
  list(owner: { ownerType: DataObjectOwner; ownerId: number }): Promise<DataObject[]>;
  update(
    id: number,
    changes: Partial<Pick<DataObject, 'name' | 'intValue' | 'stringValue'>>,
  ): Promise<DataObject>;
  /**
   * Adds `delta` to the integer value in one conditional statement, so concurrent increments never pass the
   * bound. Returns null when the result would leave [min, max].
   */
  addToInt(
    id: number,
    delta: number,
    bounds: { min: number | null; max: number | null },
  ): Promise<DataObject | null>;
  delete(id: number): Promise<boolean>;
  /** Deletes the data objects of a license and of all its machines. */
  deleteOfLicense(licenseId: number): Promise<void>;
}

/** The repository above, as `Repositories` holds it. */
export interface DataObjectRepositories {
  dataObjects: DataObjectRepository;
}
