import type { MethodSpec } from './call-context.js';
import { getEvents, registerEvent } from './methods/analytics.js';
import { keyLock } from './methods/auth.js';
import {
  addCustomer,
  editCustomer,
  getCustomerLicenses,
  getCustomerLicensesBySecret,
  getCustomers,
  removeCustomer,
} from './methods/customers.js';
import { dataObjectMethods } from './methods/data-objects.js';
import { activate, deactivate, getKey } from './methods/key-activation.js';
import {
  addFeature,
  blockKey,
  changeCustomer,
  changeNotes,
  changeReseller,
  extendLicense,
  machineLockLimit,
  removeFeature,
  trialActivation,
  unblockKey,
} from './methods/key-changes.js';
import { createKey, createKeyFromTemplate, createTrialKey } from './methods/key-creation.js';
import { createMessage, getMessages, removeMessage } from './methods/messages.js';
import { getKeys, getProducts } from './methods/products.js';
import { getWebApiLog } from './methods/web-api-log.js';

/**
 * Every Web API 3 method Keyward answers, by `group/method` in lower case — the names a token's method lock
 * holds — with the Keyward scopes it needs.
 */
export const METHODS: Readonly<Record<string, MethodSpec>> = {
  'key/activate': activate,
  'key/getkey': getKey,
  'key/deactivate': deactivate,
  'key/createkey': createKey,
  'key/createtrialkey': createTrialKey,
  'key/createkeyfromtemplate': createKeyFromTemplate,
  'key/extendlicense': extendLicense,
  'key/addfeature': addFeature,
  'key/removefeature': removeFeature,
  'key/changenotes': changeNotes,
  'key/blockkey': blockKey,
  'key/unblockkey': unblockKey,
  'key/machinelocklimit': machineLockLimit,
  'key/changecustomer': changeCustomer,
  'key/changereseller': changeReseller,
  'key/trialactivation': trialActivation,
  'auth/keylock': keyLock,
  ...dataObjectMethods,
  'customer/addcustomer': addCustomer,
  'customer/editcustomer': editCustomer,
  'customer/removecustomer': removeCustomer,
  'customer/getcustomers': getCustomers,
  'customer/getcustomerlicenses': getCustomerLicenses,
  'customer/getcustomerlicensesbysecret': getCustomerLicensesBySecret,
  'product/getproducts': getProducts,
  'product/getkeys': getKeys,
  'message/getmessages': getMessages,
  'message/createmessage': createMessage,
  'message/removemessage': removeMessage,
  'ai/getwebapilog': getWebApiLog,
  'ai/registerevent': registerEvent,
  'ai/getevents': getEvents,
};

/**
 * The method a path names. Paths are matched as the vendor's own proxy does: in any case, with doubled and
 * trailing slashes ignored — .NET asks for /api//key/activate/, Python for /api//message/getmessages/.
 */
export function methodNameOf(path: string): string | null {
  const segments = path
    .split('?')[0]
    ?.split('/')
    .filter((s) => s !== '')
    .map((s) => s.toLowerCase());
  if (segments?.length !== 3 || segments[0] !== 'api') return null;
  const name = `${segments[1]}/${segments[2]}`;
  return Object.hasOwn(METHODS, name) ? name : null;
}
