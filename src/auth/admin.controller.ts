import { Controller, Delete, Get, Header, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Caller, callerOf } from '../common/caller';
import { badRequest, forbidden, notFound } from '../common/domain.error';
import { JOB_TYPE_SWITCH, JobTypeSwitch } from '../common/job-type-switch';
import type { UserRole } from '../persistence/user.entity';
import { optionalInt, UserAccounts } from './user-accounts';

/** One form or JSON field, from the body, else the query string; several values are an error. */
function field(req: Request, name: string): string | undefined {
  const found: string[] = [];
  for (const src of [req.body, req.query]) {
    if (!src || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (k.toLowerCase() !== name.toLowerCase()) continue;
      for (const item of Array.isArray(v) ? v : [v]) {
        if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') found.push(String(item));
      }
    }
  }
  if (new Set(found).size > 1) throw badRequest(`${name} was given more than once with different values`);
  return found[0];
}

function flag(text: string | undefined, name: string): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  const v = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw badRequest(`${name} must be true or false, got '${text.slice(0, 40)}'`);
}

/** Administration, JSON in and out; administrators only (403 for everyone else). */
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(UserAccounts) private readonly accounts: UserAccounts,
    @Inject(JOB_TYPE_SWITCH) private readonly types: JobTypeSwitch,
  ) {}

  private admin(req: Request): Caller {
    const caller = callerOf(req);
    if (!caller.admin) throw forbidden('Only administrators may do this');
    return caller;
  }

  /** Users with their role, limits, tokens (never their secrets) and number of active jobs. */
  @Get('users')
  @Header('Cache-Control', 'no-store')
  async users(@Req() req: Request) {
    this.admin(req);
    return { users: await this.accounts.list() };
  }

  /** name, role (user|admin) or admin=true, password (optional), maxActiveJobs (optional). */
  @Post('users')
  @HttpCode(201)
  async createUser(@Req() req: Request) {
    this.admin(req);
    const name = field(req, 'name');
    if (!name) throw badRequest('name is missing');
    const roleText = field(req, 'role');
    const admin = flag(field(req, 'admin'), 'admin');
    const role: UserRole = roleText !== undefined && roleText !== '' ? (roleText as UserRole) : admin ? 'admin' : 'user';
    const password = field(req, 'password');
    const user = await this.accounts.createUser({
      name,
      role,
      password: password === '' ? undefined : password,
      maxActiveJobs: optionalInt(field(req, 'maxActiveJobs'), 'maxActiveJobs'),
    });
    return { user: { id: user.id, name: user.name, role: user.role, maxActiveJobs: user.maxActiveJobs ?? null, hasPassword: !!user.passwordHash } };
  }

  /** A new API token for the user, shown once in the answer ("token"). */
  @Post('users/:name/tokens')
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  async createToken(@Param('name') name: string, @Req() req: Request) {
    this.admin(req);
    return this.accounts.createToken(name, field(req, 'label') ?? '');
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  async revokeToken(@Param('id') id: string, @Req() req: Request): Promise<void> {
    this.admin(req);
    if (!(await this.accounts.revokeToken(id))) throw notFound(`No token '${id}'`);
  }

  /** available=false takes a job type out of service (creation answers 503), available=true puts it back. */
  @Post('job-types/:type')
  @HttpCode(200)
  jobType(@Param('type') type: string, @Req() req: Request) {
    this.admin(req);
    const available = flag(field(req, 'available'), 'available');
    if (available === undefined) throw badRequest('available is missing: send available=false or available=true');
    if (!this.types.setDisabled(type, !available)) throw notFound(`No job type '${type}'`);
    return { type, available };
  }
}
