import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { AppModule } from './app.module';
import { loadConfig } from './config/app.config';
import { hostCheck, hostOf } from './common/host.check';

const LEVELS: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Builds the application (used by main.ts, the e2e tests and the benchmarks alike). */
export async function createApp(): Promise<NestExpressApplication> {
  const config = loadConfig();
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: LEVELS[config.logLevel],
  });
  app.disable('x-powered-by');
  app.use(hostCheck([hostOf(config.baseUrl), hostOf(config.callbackBaseUrl), ...config.allowedHosts]));
  app.set('query parser', 'simple');
  // Flat form fields only (no qs nesting); PUT of one parameter value comes as text/plain.
  app.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 1000 }));
  app.use(express.json({ limit: '1mb' }));
  app.use(express.text({ type: 'text/plain', limit: '1mb' }));
  app.enableShutdownHooks();
  return app;
}
