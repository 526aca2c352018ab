/**
 * `<project>/<type>/<id>`: how a person names one work item on a command line or in a request
 * (`demo/issue/6437110012`). The project is the space's key or simple name, as the rules name it.
 */
import { AutopilotError } from '../../errors.ts';
import { requireWorkItemId } from '../ids.ts';

export interface WorkItemAddress {
  project: string;
  type: string;
  id: string;
}

const PART = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * Parses a reference or throws: `AP_BAD_REQUEST` when it is not three parts, `AP_ID_INVALID`
 * when the id is no work item id the Open API takes. `where` names the input in the message.
 */
export function parseWorkItemRef(text: unknown, where: string): WorkItemAddress {
  const parts = typeof text === 'string' ? text.split('/') : [];
  const [project, type, id] = parts;
  if (parts.length !== 3 || !PART.test(project ?? '') || !PART.test(type ?? '') || id === '') {
    throw new AutopilotError(
      'AP_BAD_REQUEST',
      `${where} ${show(text)} is not a work item reference: expected <project>/<type>/<id>, e.g. demo/issue/6437110012`,
      { field: where },
    );
  }
  return {
    project: project as string,
    type: type as string,
    id: requireWorkItemId(id as string, `the id in ${where}`),
  };
}

export function formatWorkItemRef(ref: WorkItemAddress): string {
  return `${ref.project}/${ref.type}/${ref.id}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
