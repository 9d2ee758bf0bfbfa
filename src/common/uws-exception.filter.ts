import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, FieldProblem, httpStatusOf } from './domain.error';

interface ErrorBody {
  status: number;
  message: string;
  fields: FieldProblem[];
  headers?: Record<string, string>;
}

/**
 * The one place errors become HTTP answers. UWS clients read error bodies as text, so text/plain is the
 * default; programs that ask for JSON get the field list as data. A stack trace never leaves the server.
 */
@Catch()
export class UwsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const body = this.describe(exception, req);
    if (res.headersSent) {
      res.end();
      return;
    }
    const wantsJson = /application\/json/.test(req.headers.accept ?? '') && !/xml/.test(req.headers.accept ?? '');
    res.status(body.status);
    if (body.headers) res.set(body.headers);
    if (wantsJson) {
      res.json({ error: body.message, status: body.status, fields: body.fields });
    } else {
      res.type('text/plain; charset=utf-8').send(body.message);
    }
  }

  private describe(exception: unknown, req: Request): ErrorBody {
    if (exception instanceof DomainError) {
      const status = httpStatusOf(exception.code);
      if (status === 500) this.logger.error(`${req.method} ${req.url}: ${exception.message}`);
      else if (status === 503) this.logger.warn(`${req.method} ${req.url}: ${exception.message}`);
      return { status, message: exception.message, fields: exception.fields, headers: exception.headers };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const resp = exception.getResponse();
      let message = exception.message;
      if (typeof resp === 'object' && resp && 'message' in resp) {
        const m = (resp as { message: unknown }).message;
        message = Array.isArray(m) ? m.join('; ') : String(m);
      }
      if (status === 404 && /^Cannot /.test(message)) message = `No resource at ${req.method} ${req.path}`;
      if (status >= 500) this.logger.error(`${req.method} ${req.url}: ${message}`, exception.stack);
      return { status, message, fields: [] };
    }
    // Errors raised by body parsers and multer carry a status of their own.
    const e = exception as { status?: number; statusCode?: number; code?: string; message?: string; stack?: string };
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, message: `Malformed request: ${e.message ?? 'unreadable body'}`, fields: [] };
    }
    if (e?.code === 'LIMIT_FILE_SIZE' || e?.code === 'LIMIT_FIELD_VALUE') {
      return { status: 413, message: `Upload too large: ${e.message}`, fields: [] };
    }
    if (typeof e?.code === 'string' && e.code.startsWith('LIMIT_')) {
      return { status: 400, message: `Malformed upload: ${e.message}`, fields: [] };
    }
    this.logger.error(`${req.method} ${req.url}: ${e?.message ?? String(exception)}`, e?.stack);
    return { status: 500, message: 'Internal server error (logged on the server)', fields: [] };
  }
}
