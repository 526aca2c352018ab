/**
 * What `autopilot check --live` knows about a tenant: for each space the rules name, its work
 * item types (workflow states and nodes, roles), fields (key, alias, type, options) and relation
 * rules; and which user keys exist. Plain JSON, so `--cache` can save it and `--offline` check
 * against it later without credentials.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AutopilotError } from '../errors.ts';

export interface NamedKey {
  key: string;
  name: string;
}

export interface TypeMeta {
  key: string;
  name: string;
  /** `workflow` (node flow) or `stateflow` (state flow), when the API says. */
  flow_mode?: string;
  /** State keys of the type's templates (state flow). */
  states: NamedKey[];
  /** Node keys (state_key of workflow_confs) of the type's templates (node flow). */
  nodes: NamedKey[];
  /** Role ids; a role's `key` is accepted too. */
  roles: Array<NamedKey & { id: string }>;
  /**
   * State flow: the transitions between states (`connections` of each template) and the states
   * a work item starts in (`state_type` 1). Absent in metadata saved before they were read.
   */
  transitions?: Edge[];
  initial_states?: string[];
  /** Node flow: the connections between nodes and each template's first node. */
  node_connections?: Edge[];
  start_nodes?: string[];
}

export interface Edge {
  from: string;
  to: string;
}

export interface FieldOption {
  value: string;
  label: string;
}

export interface FieldMeta {
  key: string;
  alias?: string;
  name: string;
  /** field_type_key: text, number, select, multi_select, user, date, … */
  type: string;
  /** Type keys the field belongs to. */
  scopes: string[];
  options: FieldOption[];
}

export interface RelationRuleMeta {
  id: string;
  name: string;
  /** The type of this space the rule binds from. */
  type: string;
  remote_project: string;
  remote_type: string;
}

export type SpaceMeta =
  | { found: false }
  | {
      found: true;
      types: TypeMeta[];
      fields: FieldMeta[];
      relation_rules: RelationRuleMeta[];
    };

export type MetaSource = 'simulator' | 'api';

export interface TenantMeta {
  format: typeof META_FORMAT;
  /** Where it was read: the built-in simulator's demo tenant, or the configured Open API. */
  source: MetaSource;
  read_at: string;
  /** By space as the rules write it (project key or simple name). */
  spaces: Record<string, SpaceMeta>;
  /** User key → whether `user/query` found it. */
  users: Record<string, boolean>;
}

export const META_FORMAT = 'fp-autopilot/meta@1';

export function emptyMeta(source: MetaSource, now: number): TenantMeta {
  return { format: META_FORMAT, source, read_at: new Date(now).toISOString(), spaces: {}, users: {} };
}

export async function saveMeta(file: string, meta: TenantMeta): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * @throws AutopilotError `AP_INPUT_FILE` when the file is missing, unreadable, not JSON or not
 * a saved metadata file.
 */
export async function loadMeta(file: string, shown: string): Promise<TenantMeta> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AutopilotError(
      'AP_INPUT_FILE',
      missing
        ? `no saved metadata at ${shown}: run 'autopilot check --live --cache ${shown}' first (with credentials, or against the built-in simulator)`
        : `cannot read ${shown}: ${(error as Error).message}`,
      { file: shown },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AutopilotError('AP_INPUT_FILE', `${shown} is not JSON: ${(error as Error).message}`, {
      file: shown,
    });
  }
  const meta = parsed as Partial<TenantMeta> | null;
  if (
    meta === null ||
    typeof meta !== 'object' ||
    meta.format !== META_FORMAT ||
    typeof meta.spaces !== 'object' ||
    meta.spaces === null ||
    typeof meta.users !== 'object' ||
    meta.users === null
  ) {
    throw new AutopilotError(
      'AP_INPUT_FILE',
      `${shown} is not metadata saved by 'autopilot check --live --cache' (format ${META_FORMAT})`,
      { file: shown },
    );
  }
  return meta as TenantMeta;
}
