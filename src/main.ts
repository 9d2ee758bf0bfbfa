import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const app = await createApp();
  await app.listen(config.port, config.host);
  new Logger('Main').log(`UWS Host listening on ${config.host}:${config.port}, public URL ${config.baseUrl}/rest`);
}

void main();
