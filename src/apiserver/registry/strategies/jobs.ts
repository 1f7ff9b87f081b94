// batch/v1 Jobs and CronJobs. Jobs: defaults (parallelism and completions 1, backoffLimit 6,
// NonIndexed, not suspended, podReplacementPolicy), the generated selector and template labels
// keyed by the Job's uid, restartPolicy OnFailure/Never, and the immutable selector. CronJobs:
// defaults (Allow, not suspended, 3 and 1 jobs of history), schedule syntax, the 52-character name
// limit and the job template. Field selector (Job): status.successful.

import type { CronJobSpec, JobSpec, JobStatus, JobTemplateSpec } from 'kubernetes-types/batch/v1.js';
import { type FieldError, type FieldPath, field, fieldPath } from '../../../api/errors.js';
import { validateLabels, validateAnnotations } from '../../../api/validation.js';
import type { KubeObject, Strategy } from '../strategy.js';
import { cronScheduleError } from './cron.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from './pod_template.js';
import { goLabelSelector, invalidGo, isRecord, objectOr, resourceOf, specOf } from './util.js';
import { selectorMatches, selectorMismatch, validateImmutableSelector, validateNonnegative, validateWorkloadSelector } from './workload_common.js';

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';

function jobSpecOf(obj: KubeObject): JobSpec {
  return objectOr<JobSpec>(specOf(obj), { template: {} });
}

/** SetDefaults_Job for a JobSpec (also used inside CronJob templates). */
export function defaultJobSpec(spec: JobSpec): void {
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (spec.parallelism === undefined || spec.parallelism === null) spec.parallelism = 1;
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6;
  }
  if (!spec.completionMode) spec.completionMode = 'NonIndexed';
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (!spec.podReplacementPolicy) spec.podReplacementPolicy = isRecord(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  if (isRecord(spec.podFailurePolicy)) {
    for (const r of spec.podFailurePolicy.rules ?? []) for (const c of r.onPodConditions ?? []) if (!c.status) c.status = 'True';
  }
  if (!isRecord(spec.template)) spec.template = {};
  defaultPodTemplateSpec(spec.template);
}

const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];

/** validateJobSpec's checks of one JobSpec; `requireSelector` is false inside CronJob templates. */
function validateJobSpecFields(spec: JobSpec, path: FieldPath, requireSelector: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    errs.push(...validateNonnegative(spec[k], path.child(k)));
  }
  const cm = spec.completionMode ?? '';
  if (spec.completionMode !== undefined && spec.completionMode !== null && cm !== 'NonIndexed' && cm !== 'Indexed') errs.push(field.notSupported(path.child('completionMode'), cm, ['NonIndexed', 'Indexed']));
  if (cm === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    errs.push(field.required(path.child('completions'), 'when completion mode is Indexed'));
  }
  const tp = path.child('template');
  if (requireSelector) {
    if (!isRecord(spec.selector)) errs.push(field.required(path.child('selector'), ''));
    else errs.push(...validateWorkloadSelector(spec.selector, path.child('selector')));
    if (selectorMatches(isRecord(spec.selector) ? spec.selector : undefined, spec.template?.metadata?.labels) === false) {
      errs.push(selectorMismatch(spec.template, tp));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, tp));
  const rp = spec.template?.spec?.restartPolicy ?? '';
  if (!JOB_RESTART_POLICIES.includes(rp)) errs.push(field.notSupported(tp.child('spec', 'restartPolicy'), rp, JOB_RESTART_POLICIES));
  return errs;
}

function validateJob(obj: KubeObject): FieldError[] {
  const spec = jobSpecOf(obj);
  const errs = validateJobSpecFields(spec, fieldPath('spec'), true);
  if (spec.manualSelector !== true && isRecord(spec.selector)) {
    // A generated selector must carry the uid and the template the matching labels.
    const uid = obj.metadata?.uid ?? '';
    if (uid === '') errs.push(field.required(fieldPath('metadata', 'uid'), ''));
    const labels = spec.template?.metadata?.labels ?? {};
    const mp = fieldPath('spec', 'template', 'metadata');
    for (const [k, v] of [[LEGACY_CONTROLLER_UID, uid], [LEGACY_JOB_NAME, obj.metadata?.name ?? '']] as const) {
      if (!(k in labels)) errs.push(field.required(mp.child('labels').key(k), `must be '${v}'`));
      else if (labels[k] !== v) errs.push(field.invalid(mp.child('labels').key(k), labels, `must be '${v}'`));
    }
    if (selectorMatches(spec.selector, { [CONTROLLER_UID]: uid, [LEGACY_CONTROLLER_UID]: uid }) !== true) {
      errs.push(invalidGo(fieldPath('spec', 'selector'), goLabelSelector(spec.selector), '`selector` not auto-generated'));
    }
  }
  return errs;
}

export const jobStrategy: Strategy = {
  resource: resourceOf('batch', 'v1', 'jobs'),
  hasStatus: true,
  hasGeneration: true,

  defaults(obj) {
    const spec = jobSpecOf(obj);
    defaultJobSpec(spec);
    // Jobs inherit their template's labels when they have none of their own.
    const labels = spec.template?.metadata?.labels;
    const meta = obj.metadata ?? (obj.metadata = {});
    if (labels !== undefined && (!meta.labels || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  },

  prepareForCreate(obj) {
    const spec = jobSpecOf(obj);
    obj.status = {};
    // Without manualSelector the selector is generated from the uid the store has just assigned.
    const uid = obj.metadata?.uid;
    if (spec.manualSelector !== true && uid) {
      const t = isRecord(spec.template) ? spec.template : (spec.template = {});
      const m = isRecord(t.metadata) ? t.metadata : (t.metadata = {});
      const name = obj.metadata?.name ?? obj.metadata?.generateName ?? '';
      m.labels = { ...(m.labels ?? {}), [LEGACY_CONTROLLER_UID]: uid, [LEGACY_JOB_NAME]: name, [CONTROLLER_UID]: uid, [JOB_NAME]: name };
      spec.selector = { matchLabels: { [CONTROLLER_UID]: uid } };
    }
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },

  validate: (obj) => validateJob(obj),
  validateUpdate(obj, old) {
    const errs = validateJob(obj);
    const next = jobSpecOf(obj);
    const prev = objectOr<JobSpec>(old.spec, { template: {} });
    errs.push(...validateImmutableSelector(next.selector, prev.selector, fieldPath('spec', 'selector')));
    if (next.completions !== prev.completions && next.completionMode !== 'Indexed') {
      errs.push(field.invalid(fieldPath('spec', 'completions'), next.completions ?? null, 'field is immutable'));
    }
    if (next.completionMode !== prev.completionMode) errs.push(field.invalid(fieldPath('spec', 'completionMode'), next.completionMode ?? null, 'field is immutable'));
    return errs;
  },
  selectableFields: (obj) => ({ 'status.successful': String(objectOr<JobStatus>(obj.status, {}).succeeded ?? 0) }),
};

// ---------------------------------------------------------------------------------------------

const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];

function cronSpecOf(obj: KubeObject): CronJobSpec {
  return objectOr<CronJobSpec>(specOf(obj), { schedule: '', jobTemplate: {} });
}

function validateCronJob(obj: KubeObject, create: boolean): FieldError[] {
  const spec = cronSpecOf(obj);
  const sp = fieldPath('spec');
  const errs: FieldError[] = [];
  const name = obj.metadata?.name ?? '';
  // Job names add an 11-character suffix to the CronJob's name, and must stay DNS-1035 labels.
  if (create && name.length > 52) errs.push(field.invalid(fieldPath('metadata', 'name'), name, 'must be no more than 52 characters'));
  const schedule = spec.schedule ?? '';
  if (schedule.length === 0) errs.push(field.required(sp.child('schedule'), ''));
  else if (/(^|\s)(CRON_)?TZ=/.test(schedule)) {
    errs.push(field.invalid(sp.child('schedule'), schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  } else {
    const e = cronScheduleError(schedule);
    if (e !== undefined) errs.push(field.invalid(sp.child('schedule'), schedule, e));
  }
  const cp = spec.concurrencyPolicy ?? '';
  if (cp === '') errs.push(field.required(sp.child('concurrencyPolicy'), ''));
  else if (!CONCURRENCY.includes(cp)) errs.push(field.notSupported(sp.child('concurrencyPolicy'), cp, CONCURRENCY));
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, sp.child('startingDeadlineSeconds')));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, sp.child('successfulJobsHistoryLimit')));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, sp.child('failedJobsHistoryLimit')));
  const jt: JobTemplateSpec = isRecord(spec.jobTemplate) ? spec.jobTemplate : {};
  const jp = sp.child('jobTemplate');
  errs.push(...validateLabels(jt.metadata?.labels, jp.child('metadata', 'labels')));
  errs.push(...validateAnnotations(jt.metadata?.annotations, jp.child('metadata', 'annotations')));
  const js = objectOr<JobSpec>(jt.spec, { template: {} });
  errs.push(...validateJobSpecFields(js, jp.child('spec'), false));
  if (js.manualSelector === true) errs.push(field.notSupported(jp.child('spec', 'manualSelector'), true, ['nil', 'false']));
  if (isRecord(js.selector)) errs.push(invalidGo(jp.child('spec', 'selector'), goLabelSelector(js.selector), '`selector` will be auto-generated'));
  return errs;
}

export const cronJobStrategy: Strategy = {
  resource: resourceOf('batch', 'v1', 'cronjobs'),
  hasStatus: true,
  hasGeneration: true,
  defaults(obj) {
    const spec = cronSpecOf(obj);
    if (!spec.concurrencyPolicy) spec.concurrencyPolicy = 'Allow';
    if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
    if (spec.successfulJobsHistoryLimit === undefined || spec.successfulJobsHistoryLimit === null) spec.successfulJobsHistoryLimit = 3;
    if (spec.failedJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === null) spec.failedJobsHistoryLimit = 1;
    const jt = isRecord(spec.jobTemplate) ? spec.jobTemplate : (spec.jobTemplate = {});
    const js = isRecord(jt.spec) ? jt.spec : (jt.spec = { template: {} });
    // Only the pod template is defaulted here; the Job's own defaults apply when it is created.
    if (!isRecord(js.template)) js.template = {};
    defaultPodTemplateSpec(js.template);
  },
  prepareForCreate(obj) {
    obj.status = {};
  },
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
  },
  validate: (obj) => validateCronJob(obj, true),
  validateUpdate: (obj) => validateCronJob(obj, false),
};
