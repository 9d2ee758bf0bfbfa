import Handlebars from 'handlebars';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SignInView {
  baseUrl: string;
  nonce: string;
  /** The form's pre-session token. */
  csrf: string;
  next: string;
  name?: string;
  message?: string;
  /** Who is signed in already, if anyone. */
  user?: string;
}

/**
 * The sign-in page: templates/views/signin.hbs inside the shared layout, compiled in a private Handlebars
 * environment with HTML escaping on (no triple-stash anywhere), like the forms pages.
 */
export class SignInPage {
  private readonly hb = Handlebars.create();
  private readonly view: Handlebars.TemplateDelegate;

  constructor(viewsDir: string) {
    const read = (name: string) => fs.readFileSync(path.join(viewsDir, `${name}.hbs`), 'utf8');
    const options = { noEscape: false, preventIndent: true };
    this.hb.registerPartial('layout', this.hb.compile(read('layout'), options));
    this.view = this.hb.compile(read('signin'), options);
  }

  render(v: SignInView): string {
    return this.view({
      page: { title: 'Sign in', nonce: v.nonce, home: `${v.baseUrl}/forms` },
      action: `${v.baseUrl}/signin`,
      csrf: v.csrf,
      next: v.next,
      name: v.name ?? '',
      message: v.message,
      user: v.user,
    });
  }
}
