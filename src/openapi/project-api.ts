/**
 * Typed calls for the operations the actions and polls use, over any ApiCaller (the client,
 * or a fake in tests). Each method makes the one call `projectCalls` builds; `data` is typed,
 * ids are strings.
 */
import type {
  Comment,
  FieldConf,
  NodeTask,
  NodesConnections,
  OpRecordPage,
  ProjectRelationRule,
  RelationInstance,
  Result,
  SimpleField,
  TransRequiredInfo,
  UserInfo,
  WorkItemInfo,
  WorkItemKeyType,
  WorkItemRef,
} from './api-types.ts';
import type { ApiCall } from '../plan/run.ts';
import { callWithTokenRetry } from './client.ts';
import { projectCalls } from './project-calls.ts';
import type { ApiCaller, CallOptions } from './types.ts';

type P<K extends keyof typeof projectCalls> = Parameters<(typeof projectCalls)[K]>;

export interface ProjectApiOptions {
  /** Drop a refused plugin token and repeat the call once (10021/10022/10211). @defaultValue false */
  tokenRetry?: boolean;
}

export class ProjectApi {
  readonly #caller: ApiCaller;
  readonly #tokenRetry: boolean;

  constructor(caller: ApiCaller, options: ProjectApiOptions = {}) {
    this.#caller = caller;
    this.#tokenRetry = options.tokenRetry ?? false;
  }

  queryWorkItems(
    projectKey: string,
    typeKey: string,
    workItemIds: readonly string[],
    fields?: string[],
    expand?: P<'queryWorkItems'>[4],
    options?: CallOptions,
  ): Promise<Result<WorkItemInfo[]>> {
    return this.#run<WorkItemInfo[]>(
      projectCalls.queryWorkItems(projectKey, typeKey, workItemIds, fields, expand),
      options,
    );
  }

  filterWorkItems(
    projectKey: string,
    filter: P<'filterWorkItems'>[1],
    options?: CallOptions,
  ): Promise<Result<WorkItemInfo[]>> {
    return this.#run<WorkItemInfo[]>(projectCalls.filterWorkItems(projectKey, filter), options);
  }

  searchByParams(
    projectKey: string,
    typeKey: string,
    body: P<'searchByParams'>[2],
    options?: CallOptions,
  ): Promise<Result<WorkItemInfo[]>> {
    return this.#run<WorkItemInfo[]>(projectCalls.searchByParams(projectKey, typeKey, body), options);
  }

  workItemMeta(projectKey: string, typeKey: string, options?: CallOptions): Promise<Result<FieldConf[]>> {
    return this.#run<FieldConf[]>(projectCalls.workItemMeta(projectKey, typeKey), options);
  }

  /** `data` is the new work item id. */
  createWorkItem(
    projectKey: string,
    body: P<'createWorkItem'>[1],
    options?: CallOptions,
  ): Promise<Result<string>> {
    return this.#run<string>(projectCalls.createWorkItem(projectKey, body), options);
  }

  updateWorkItem(
    ref: WorkItemRef,
    updateFields: P<'updateWorkItem'>[1],
    options?: CallOptions,
  ): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.updateWorkItem(ref, updateFields), options);
  }

  /** `is_aborted: true` terminates, `false` restores. */
  abortWorkItem(
    ref: WorkItemRef,
    body: P<'abortWorkItem'>[1],
    options?: CallOptions,
  ): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.abortWorkItem(ref, body), options);
  }

  workflowQuery(
    ref: WorkItemRef,
    body?: P<'workflowQuery'>[1],
    options?: CallOptions,
  ): Promise<Result<NodesConnections>> {
    return this.#run<NodesConnections>(projectCalls.workflowQuery(ref, body), options);
  }

  operateNode(
    ref: WorkItemRef,
    nodeId: string,
    body: P<'operateNode'>[2],
    options?: CallOptions,
  ): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.operateNode(ref, nodeId, body), options);
  }

  changeState(ref: WorkItemRef, body: P<'changeState'>[1], options?: CallOptions): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.changeState(ref, body), options);
  }

  transitionRequiredInfo(
    ref: WorkItemRef,
    stateKey: string,
    mode?: 'unfinished',
    options?: CallOptions,
  ): Promise<Result<TransRequiredInfo>> {
    return this.#run<TransRequiredInfo>(projectCalls.transitionRequiredInfo(ref, stateKey, mode), options);
  }

  /** `data` is the new comment id (19 digits, a string). */
  createComment(
    ref: WorkItemRef,
    body: P<'createComment'>[1],
    options?: CallOptions,
  ): Promise<Result<string>> {
    return this.#run<string>(projectCalls.createComment(ref, body), options);
  }

  listComments(
    ref: WorkItemRef,
    page?: P<'listComments'>[1],
    options?: CallOptions,
  ): Promise<Result<Comment[]>> {
    return this.#run<Comment[]>(projectCalls.listComments(ref, page), options);
  }

  /** `data` is the new sub-task id. */
  createSubtask(
    ref: WorkItemRef,
    body: P<'createSubtask'>[1],
    options?: CallOptions,
  ): Promise<Result<string>> {
    return this.#run<string>(projectCalls.createSubtask(ref, body), options);
  }

  modifySubtask(
    ref: WorkItemRef,
    body: P<'modifySubtask'>[1],
    options?: CallOptions,
  ): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.modifySubtask(ref, body), options);
  }

  listSubtasks(ref: WorkItemRef, nodeId?: string, options?: CallOptions): Promise<Result<NodeTask[]>> {
    return this.#run<NodeTask[]>(projectCalls.listSubtasks(ref, nodeId), options);
  }

  relationRules(
    projectKey: string,
    remoteProjects?: string[],
    options?: CallOptions,
  ): Promise<Result<ProjectRelationRule[]>> {
    return this.#run<ProjectRelationRule[]>(projectCalls.relationRules(projectKey, remoteProjects), options);
  }

  relationWorkItems(
    ref: WorkItemRef,
    relationRuleId: string,
    options?: CallOptions,
  ): Promise<Result<RelationInstance[]>> {
    return this.#run<RelationInstance[]>(projectCalls.relationWorkItems(ref, relationRuleId), options);
  }

  bindRelations(
    ref: WorkItemRef,
    relationRuleId: string,
    instances: P<'bindRelations'>[2],
    options?: CallOptions,
  ): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.bindRelations(ref, relationRuleId, instances), options);
  }

  unbindRelation(
    ref: WorkItemRef,
    relationRuleId: string,
    relationWorkItemId: string,
    options?: CallOptions,
  ): Promise<Result<unknown>> {
    return this.#run<unknown>(projectCalls.unbindRelation(ref, relationRuleId, relationWorkItemId), options);
  }

  allFields(projectKey: string, typeKey?: string, options?: CallOptions): Promise<Result<SimpleField[]>> {
    return this.#run<SimpleField[]>(projectCalls.allFields(projectKey, typeKey), options);
  }

  allTypes(projectKey: string, options?: CallOptions): Promise<Result<WorkItemKeyType[]>> {
    return this.#run<WorkItemKeyType[]>(projectCalls.allTypes(projectKey), options);
  }

  opRecords(body: P<'opRecords'>[0], options?: CallOptions): Promise<Result<OpRecordPage>> {
    return this.#run<OpRecordPage>(projectCalls.opRecords(body), options);
  }

  queryUsers(body: P<'queryUsers'>[0], options?: CallOptions): Promise<Result<UserInfo[]>> {
    return this.#run<UserInfo[]>(projectCalls.queryUsers(body), options);
  }

  async #run<T>(call: ApiCall, options: CallOptions | undefined): Promise<Result<T>> {
    const outcome = this.#tokenRetry
      ? await callWithTokenRetry(this.#caller, call, options)
      : await this.#caller.call(call, options);
    return outcome as Result<T>;
  }
}
