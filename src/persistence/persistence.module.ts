import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { IDatabaseDriver, MikroORM, Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import * as fs from 'node:fs';
import { APP_CONFIG, AppConfig } from '../config/app.config';
import { JobSchema, PluginVersionSchema } from './job.entity';
import { MIGRATIONS } from './migrations';
import { JobRepository } from './job.repository';
import { ApiTokenSchema, UserSchema } from './user.entity';
import { UserRepository } from './user.repository';

export type DriverClass = Options['driver'];
/** app.module.ts decides which driver class (SqliteDriver, PostgreSqlDriver) a configuration uses. */
export type DriverPicker = (config: AppConfig) => DriverClass;

export async function createOrm(config: AppConfig, driver: DriverClass): Promise<MikroORM> {
  const sqlite = config.db.driver === 'sqlite';
  if (sqlite) fs.mkdirSync(config.dataDir, { recursive: true });
  const orm = await MikroORM.init<IDatabaseDriver>({
    driver,
    dbName: sqlite ? config.db.sqlitePath : undefined,
    clientUrl: sqlite ? undefined : config.db.url,
    entities: [JobSchema, PluginVersionSchema, UserSchema, ApiTokenSchema],
    extensions: [Migrator],
    migrations: { migrationsList: MIGRATIONS, transactional: true, snapshot: false, silent: true },
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
  });
  if (sqlite) {
    // WAL lets readers (GET, WAIT answers) run while a job is written; NORMAL sync is still crash-safe in WAL.
    const conn = orm.em.getConnection();
    await conn.execute('pragma journal_mode = wal');
    await conn.execute('pragma synchronous = normal');
    await conn.execute('pragma busy_timeout = 5000');
  }
  await orm.getMigrator().up();
  return orm;
}

@Global()
@Module({})
export class PersistenceModule implements OnApplicationShutdown {
  static forRoot(pickDriver: DriverPicker): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: MikroORM,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => createOrm(config, pickDriver(config)),
        },
        { provide: JobRepository, inject: [MikroORM], useFactory: (orm: MikroORM) => new JobRepository(orm) },
        { provide: UserRepository, inject: [MikroORM], useFactory: (orm: MikroORM) => new UserRepository(orm) },
      ],
      exports: [MikroORM, JobRepository, UserRepository],
    };
  }

  private readonly logger = new Logger('Persistence');
  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  async onApplicationShutdown(): Promise<void> {
    await this.orm.close(true);
    this.logger.log('database closed');
  }
}
