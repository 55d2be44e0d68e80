/**
 * The message strings the vendor's server answers with. SDKs compare the documented ones exactly (the C++ SDK
 * maps them to error codes), so they are copied character for character; the ones marked "Keyward's own"
 * answer situations whose real wording is unknown.
 */
export const MESSAGES = {
  unauthenticated: 'Unable to authenticate.',
  accessDenied: 'Access denied.',
  invalidInput: 'The input parameters were incorrect.',
  productNotFound: 'Could not find the product.',
  keyNotFound: 'Could not find the key.',
  blocked: 'The key is blocked and cannot be accessed.',
  limitReached: 'Cannot activate the new device as the limit has been reached.',
  neverActivated: 'Either the machine code was never activated or key activation feature was never set up.',
  dataObjectAccess: 'Not enough permission and/or key not found.',
  notesTooLong: 'The notes field cannot be more than 500 characters.',
  addCustomerPermission: "Access denied. Please add 'AddCustomer' permission.",
  customerNotFound: 'Could not find the customer.',
  trialUsed: 'This machine code has already activated the trial.',
  machineCodeNull: 'The machine code cannot be null.',
  machineCodeTooLong: 'The machine code cannot exceed 128 chars in length.',
  customerDissociated: 'Customer not found, so current key no longer references any customer.',
  templateFeatureLock:
    'The specified template id is not allowed because feature lock. Please use an access token with feature lock set to 0 or set it to the id of the license template.',
  searchQuery:
    'The search query causes problems. Please check that it follows the standard: https://help.cryptolens.io/web-interface/linq-search-product',
  orderBy: "The 'order by' field causes problems. Please check the remarks section for this method.",
  customerCouldNotBeFound: 'Customer could not be found.',
  customerNameTooLong: 'The name of the customer is limited to 100 characters.',
  customerEmailTooLong: 'The email of the customer is limited to 100 characters.',
  // Keyward's own wording below: the vendor's is not documented.
  customerCompanyTooLong: 'The company name of the customer is limited to 100 characters.',
  customerNotesTooLong: 'The notes of the customer are limited to 1000 characters.',
  machineCodeCharacters: 'The machine code may not contain control characters, commas or square brackets.',
  linqSignSeparator:
    'This key cannot be signed with SignMethod=0: a comma or a square bracket in one of its values would make the signed text ambiguous. Use SignMethod=1.',
  resellerDissociated: 'Reseller not found, so current key no longer references any reseller.',
  deactivationLimit: 'The key may not deactivate more machines.',
  vmNotAllowed: 'The key may not be activated inside a virtual machine.',
  activationExpired: 'The activation of this machine has expired.',
  dataObjectNotFound: 'Could not find the data object.',
  templateNotFound: 'Could not find the license template.',
  messageNotFound: 'Could not find the message.',
  unknownMethod: 'This method does not exist.',
  rateLimited: 'Too many requests. Please wait a minute and try again.',
  unavailable: 'The server is busy. Please try again shortly.',
  serverError: 'Something went wrong. Please contact the operator of this licensing server.',
} as const;

/** A refusal in the vendor's envelope: `{"result":1,"message":…}` with this HTTP status. */
export class CryptolensFailure extends Error {
  override readonly name = 'CryptolensFailure';
  constructor(
    message: string,
    readonly statusCode = 200,
  ) {
    super(message);
  }
}

export const fail = (message: string, statusCode = 200): never => {
  throw new CryptolensFailure(message, statusCode);
};
