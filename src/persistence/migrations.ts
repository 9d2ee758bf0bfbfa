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

/** Users, their API tokens, and the index the per-owner job list and active-job count use. */
export class Migration002Users extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists uws_user (
      id varchar(32) primary key,
      name varchar(64) not null,
      role varchar(16) not null,
      password_hash varchar(255) null,
      max_active_jobs integer null,
      disabled boolean not null default false,
      created_at bigint not null
    )`);
    this.addSql('create unique index if not exists uws_user_name_unique on uws_user (name)');
    this.addSql(`create table if not exists uws_api_token (
      id varchar(32) primary key,
      user_id varchar(32) not null references uws_user (id) on delete cascade,
      label varchar(255) not null,
      hash varchar(128) not null,
      salt varchar(64) not null,
      created_at bigint not null,
      last_used_at bigint null
    )`);
    this.addSql('create index if not exists uws_api_token_user on uws_api_token (user_id)');
    this.addSql('create index if not exists uws_job_owner_phase on uws_job (owner_id, phase)');
  }
}

export const MIGRATIONS = [
  { name: 'Migration001Initial', class: Migration001Initial },
  { name: 'Migration002Users', class: Migration002Users },
];
