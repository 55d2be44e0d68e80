import type { AccessTables } from './access.js';
import type { AnalyticsTables } from './analytics.js';
import type { CatalogTables } from './catalog.js';
import type { CommerceTables } from './commerce.js';
import type { CustomerTables } from './customers.js';
import type { DashboardTables } from './dashboard.js';
import type { EmailTables } from './email.js';
import type { EventTables } from './events.js';
import type { ImportTables } from './imports.js';
import type { LicenseTables } from './licenses.js';
import type { MessageTables } from './messages.js';
import type { PortalTables } from './portal.js';
import type { TrialTables } from './trials.js';

/** Every table, as Kysely sees them; one file per concept beside this one, with the table types. */
export interface Database
  extends CatalogTables,
    LicenseTables,
    CustomerTables,
    TrialTables,
    AccessTables,
    EventTables,
    ImportTables,
    MessageTables,
    DashboardTables,
    AnalyticsTables,
    EmailTables,
    PortalTables,
    CommerceTables {}
