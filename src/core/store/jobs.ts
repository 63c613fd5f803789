import type { JobRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { writeTransaction } from './transaction.ts';

/** Saves a job (new or its latest state and cursor); `updatedAt` is set to now. */
export async function putJob(db: LuminaDatabase, job: JobRecord): Promise<JobRecord> {
  const saved = { ...job, updatedAt: Date.now() };
  await writeTransaction(
    db,
    ['jobs'],
    () => `saving the progress of job ${job.id}`,
    (tx) => tx.objectStore('jobs').put(saved),
  );
  return saved;
}

export function getJob(db: LuminaDatabase, id: string): Promise<JobRecord | undefined> {
  return db.get('jobs', id);
}

/** The dataset's jobs, oldest first. */
export async function listJobs(db: LuminaDatabase, datasetId: string): Promise<JobRecord[]> {
  const jobs = await db.getAllFromIndex('jobs', 'datasetId', datasetId);
  return jobs.sort((a, b) => a.createdAt - b.createdAt);
}

export function deleteJob(db: LuminaDatabase, id: string): Promise<void> {
  return db.delete('jobs', id);
}
