import { Migration } from '@mikro-orm/migrations';

/** Written by hand in SQL common to SQLite and PostgreSQL. */
export class Migration001Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists uws_job (
      id varchar(64) primary key,
      type varchar(128) not null,
      run_id text null,
      owner_id varchar(255) null,
      phase varchar(16) not null,
      creation_time bigint not null,
      start_time bigint null,
      end_time bigint null,
      execution_duration integer not null,
      destruction bigint null,
      quote bigint null,
      error_type varchar(16) null,
      error_message text null,
      error_detail text null,
      external_ref varchar(255) null,
      plugin_hash varchar(64) not null,
      parameters text not null,
      results text not null,
      job_info text null
    )`);
    // The job list is "newest first within a type"; the reaper and reconciler select by time and phase.
    this.addSql('create index if not exists uws_job_type_created on uws_job (type, creation_time)');
    this.addSql('create index if not exists uws_job_phase on uws_job (phase)');
    this.addSql('create index if not exists uws_job_destruction on uws_job (destruction)');
    this.addSql(`create table if not exists uws_plugin_version (
      hash varchar(64) primary key,
      type varchar(128) not null,
      descriptor text not null,
      template text not null,
      created_at bigint not null
    )`);
  }
}

export const MIGRATIONS = [{ name: 'Migration001Initial', class: Migration001Initial }];
