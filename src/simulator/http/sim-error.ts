/**
 * The Open API's error codes as the simulator answers them: HTTP status and outer `err_msg`
 * from the error table (shared/feishu-project-api/README.md §7). Handlers throw a SimError;
 * the route pipeline turns it into the envelope.
 */
const CODES: Record<number, [status: number, message: string]> = {
  9999: [400, 'Invalid Param'],
  10001: [403, 'No Permission'],
  10002: [403, 'Illegal Operation'],
  10021: [401, 'Token Not Exist'],
  10022: [401, 'Check Token Failed'],
  10023: [400, 'User Not Exist'],
  10210: [403, 'code invalid'],
  10211: [403, 'Token Info Is Invalid'],
  10429: [429, 'API Request Frequency Limit'],
  10430: [429, 'API Request Idempotent Limit'],
  20001: [400, 'Param Request Limit'],
  20002: [400, 'Page Size Limit'],
  20003: [400, 'Wrong WorkItemType Param'],
  20004: [400, 'Search User Limit'],
  20005: [400, 'Missing Param'],
  20006: [400, 'Invalid Param'],
  20007: [400, 'WorkItem Is Already Aborted'],
  20008: [400, 'WorkItem Is Already Restored'],
  20009: [400, 'Abort Or Restore WorkItem No Reason'],
  20013: [400, 'Invalid Time Interval'],
  20014: [400, 'Project And WorkItem Not Match'],
  20015: [400, "Field Mix With '-' And Without '-'"],
  20016: [400, 'Node Is Not Arrived, Could Not Be operated'],
  20017: [400, 'Node Is Completed, Could Not Be Completed'],
  20018: [400, 'Node ID Not Exist In Workflow'],
  20019: [400, 'Invite Bot Limit 5'],
  20020: [400, 'Bot App_ids Empty'],
  20025: [400, 'Field_key/Field_alias Missing'],
  20026: [400, 'FlowType Is Error, Please Convert To Status FlowType'],
  20027: [400, 'FlowType Is Error, Please Convert To Node FlowType'],
  20028: [400, 'Workitem Ids Limit 50'],
  20033: [400, 'Update Field Invalid'],
  20037: [400, 'Node Is not completed, Could Not Be Rollback'],
  20038: [400, 'Required Field Is Not Set'],
  20039: [400, 'Plugin Token Must Have User Key, But X-USER-KEY Is Not Set In Request Header'],
  20040: [400, 'Request Form Is Null'],
  20042: [400, 'X-User-Key Is Wrong, Please Check First'],
  20044: [400, 'WorkItem Has Been Disabled'],
  20045: [400, 'Comment And WorkItem Not Match'],
  20046: [400, 'Task ID Not Exist In Workflow'],
  20047: [400, "Role_Assignee and Assignee Can't Be Set Together"],
  20050: [400, '「field_key」Field Option Value Is Wrong'],
  20051: [400, 'FieldLinkedStory Value Is Wrong'],
  20057: [400, 'Search ProjectKeys And SimpleNames Limit 10'],
  20058: [400, "SearchUser.Role And SearchUser.FieldKey Can't appear together"],
  20059: [400, 'SearchUser.UserKeys Must Appear'],
  20062: [400, 'RelationType Error'],
  20063: [400, 'Search Operator Error'],
  20064: [400, 'Search Option Size Too Large'],
  20068: [400, 'Search Param Is Not Support'],
  20069: [400, 'Search Param Value Error'],
  20070: [400, 'Field is InValid'],
  20072: [400, 'Conjunction Value Only Support 「AND」、「OR」'],
  20080: [400, 'Query length must be larger than 0,smaller than 200'],
  20081: [400, 'Query type is not supported'],
  20082: [400, 'Action is not supported'],
  20083: [400, 'Duplication Field Exist'],
  30001: [404, 'Data Not Found'],
  30005: [404, 'WorkItem Not Found'],
  30006: [404, 'User Not Found'],
  30009: [404, 'Field Not Found'],
  30012: [404, 'State Not Found In Stateflow'],
  30014: [404, 'WorkItem Type Not Found'],
  30015: [404, 'Record Not Found'],
  30016: [404, 'Project Not Found'],
  30018: [404, 'RelationKey Not Exist In Configuration'],
  30019: [404, 'file not found'],
  50006: [500, 'RPC Call Error'],
};

export class SimError extends Error {
  readonly code: number;
  readonly status: number;
  readonly outer: string;
  constructor(code: number, inner?: string) {
    const [status, outer] = CODES[code] ?? [400, 'Invalid Param'];
    super(inner ?? outer);
    this.code = code;
    this.status = status;
    this.outer = outer;
  }
}

/** Shorthand used by handlers: `throw fail(20005, 'work_item_ids is required')`. */
export function fail(code: number, inner?: string): SimError {
  return new SimError(code, inner);
}
