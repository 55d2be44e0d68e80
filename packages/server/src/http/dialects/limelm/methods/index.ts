import { echo } from './echo.js';
import { addFeature, deleteFeature, editFeature, getAllFeatures } from './features.js';
import type { LimeLmMethod } from './method.js';
import { deactivate, manualActivation, manualDeactivation } from './pkey-activations.js';
import { deleteKey, generate, revoke, setDetails } from './pkey-keys.js';
import { find, getDetails, getId } from './pkey-reads.js';
import { activity, advancedSearch } from './pkey-search.js';
import { changeProductName, createProduct, createVersion, editVersion, getAllProducts } from './products.js';
import { deleteTag, removeTag, setTags } from './tags.js';
import {
  deleteExtension,
  extensionDetails,
  extensionId,
  generateExtension,
  manualVerifiedTrial,
  searchExtensions,
  trialSearch,
} from './trials.js';

/** The 32 methods of LimeLM's web API (spec §2 index), by their full `method=` name. */
export const LIMELM_METHODS: Readonly<Record<string, LimeLmMethod>> = {
  'limelm.feature.add': addFeature,
  'limelm.feature.delete': deleteFeature,
  'limelm.feature.edit': editFeature,
  'limelm.feature.getAll': getAllFeatures,
  'limelm.pkey.activity': activity,
  'limelm.pkey.advancedSearch': advancedSearch,
  'limelm.pkey.deactivate': deactivate,
  'limelm.pkey.delete': deleteKey,
  'limelm.pkey.find': find,
  'limelm.pkey.generate': generate,
  'limelm.pkey.getDetails': getDetails,
  'limelm.pkey.getID': getId,
  'limelm.pkey.manualActivation': manualActivation,
  'limelm.pkey.manualDeactivation': manualDeactivation,
  'limelm.pkey.removeTag': removeTag,
  'limelm.pkey.revoke': revoke,
  'limelm.pkey.setDetails': setDetails,
  'limelm.pkey.setTags': setTags,
  'limelm.prod.getAll': getAllProducts,
  'limelm.prod.create': createProduct,
  'limelm.prod.createVers': createVersion,
  'limelm.prod.changeName': changeProductName,
  'limelm.prod.editVers': editVersion,
  'limelm.tag.delete': deleteTag,
  'limelm.test.echo': echo,
  'limelm.trial.advancedSearch': trialSearch,
  'limelm.trial.manualVerifiedTrial': manualVerifiedTrial,
  'limelm.trialExtension.delete': deleteExtension,
  'limelm.trialExtension.generate': generateExtension,
  'limelm.trialExtension.getDetails': extensionDetails,
  'limelm.trialExtension.getID': extensionId,
  'limelm.trialExtension.search': searchExtensions,
};
