import { Module } from '@nestjs/common';
import * as path from 'node:path';
import { APP_FILTER } from '@nestjs/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { AppConfig } from './config/app.config';
import { AuthModule } from './auth/auth.module';
import { ConfigModule } from './config/config.module';
import { UwsExceptionFilter } from './common/uws-exception.filter';
import { ExecutionModule } from './execution/execution.module';
import { LocalJobManager } from './execution/local/local.manager';
import { NodeProcessRunner } from './execution/local/process.runner';
import { JobManager } from './execution/job-manager.port';
import { SlurmJobManager } from './execution/slurm/slurm.manager';
import { SshTransport } from './execution/transport/ssh.transport';
import { PersistenceModule } from './persistence/persistence.module';
import { PluginsModule } from './plugins/plugins.module';
import { UwsModule } from './uws/uws.module';
import { WebModule } from './web/web.module';

/** The only place that picks the database driver and the job manager. */
function pickManager(config: AppConfig): JobManager {
  switch (config.jobManager) {
    case 'local':
      return new LocalJobManager(new NodeProcessRunner(), {
        maxConcurrent: config.maxConcurrentJobs,
        stateDir: path.join(config.dataDir, 'local-run'),
        killGraceSeconds: config.killGraceSeconds,
      });
    case 'slurm': {
      const s = config.slurm!;
      // The connection opens lazily on first use and reconnects by itself; no handshake per job.
      const transport = new SshTransport({
        host: s.host,
        port: s.port,
        username: s.user,
        privateKeyPath: s.keyPath,
        knownHostsPath: s.knownHostsPath,
        hostKeyFingerprint: s.hostKeyFingerprint,
        maxChannels: s.maxChannels,
      });
      return new SlurmJobManager(transport, {
        fileMode: s.fileMode,
        remoteRoot: s.remoteRoot,
        partition: s.partition,
        account: s.account,
      });
    }
  }
}

@Module({
  imports: [
    ConfigModule,
    PersistenceModule.forRoot((c) => (c.db.driver === 'postgresql' ? PostgreSqlDriver : SqliteDriver)),
    PluginsModule,
    ExecutionModule.forRoot(pickManager),
    UwsModule,
    WebModule,
    AuthModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: UwsExceptionFilter }],
})
export class AppModule {}
