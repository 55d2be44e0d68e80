import { describe, expect, it } from 'vitest';
import { composeEmail, effectiveTemplate } from '../core/email/compose-email.js';
import { DEFAULT_TEMPLATES, TEMPLATE_VARIABLES } from '../core/email/default-templates.js';
import { EMAIL_KINDS, type EmailSettings, type EmailTemplate } from '../core/email/email-ports.js';
import { mustacheTemplateEngine as engine } from './mustache-template-engine.js';

describe('rendering a template', () => {
  it.each([
    ['a value', 'Key {{licenseKey}}', { licenseKey: 'AB-CD' }, 'none', 'Key AB-CD'],
    ['an unknown name renders empty', 'Hi {{nobody}}!', {}, 'none', 'Hi !'],
    ['a prototype name renders empty', '[{{constructor}}][{{toString}}]', {}, 'none', '[][]'],
    ['text is not escaped', '{{name}}', { name: '<Tom & "Jerry">' }, 'none', '<Tom & "Jerry">'],
    [
      'HTML is escaped',
      '{{name}}',
      { name: `<Tom & "Jerry's">` },
      'html',
      '&lt;Tom &amp; &quot;Jerry&#39;s&quot;&gt;',
    ],
    ['a link stays readable in HTML', '{{u}}', { u: 'https://x.test/a?b=c' }, 'html', 'https://x.test/a?b=c'],
    ['triple braces are raw even in HTML', '{{{name}}}', { name: '<b>' }, 'html', '<b>'],
    ['a section shows with a value', '{{#d}}until {{d}}{{/d}}', { d: 'May' }, 'none', 'until May'],
    ['a section hides without one', 'x{{#d}}until {{d}}{{/d}}', { d: '' }, 'none', 'x'],
    ['an inverted section shows without one', '{{^d}}forever{{/d}}', {}, 'none', 'forever'],
    ['a partial renders empty', 'a{{> other}}b', {}, 'none', 'ab'],
  ] as const)('%s', (_name, template, values, escaping, expected) => {
    expect(engine.render(template, values, escaping)).toBe(expected);
  });

  it.each([
    ['an unclosed section', '{{#a}} open', /Unclosed section "a"/],
    ['an unopened section', 'x {{/a}}', /Unopened section "a"/],
    ['an unclosed tag', 'Hi {{name', /Unclosed tag/],
  ])('refuses %s, saying why', (_name, template, problem) => {
    expect(engine.problem(template)).toMatch(problem);
  });

  it('accepts every built-in template, each using every variable of its kind', () => {
    for (const kind of EMAIL_KINDS) {
      const template = DEFAULT_TEMPLATES[kind];
      for (const text of [template.subject, template.textBody, template.htmlBody])
        expect(engine.problem(text), kind).toBeNull();
      const all = `${template.subject}${template.textBody}${template.htmlBody}`;
      for (const name of TEMPLATE_VARIABLES[kind])
        expect(all, `${kind} uses ${name}`).toContain(`{{${name}}}`);
    }
  });
});

describe('composing an email', () => {
  const settings: EmailSettings = {
    host: 'smtp.example.com',
    port: 587,
    security: 'starttls',
    username: null,
    sealedPassword: null,
    fromName: 'Acme',
    fromAddress: 'sales@acme.test',
    replyTo: null,
    enabledKinds: [...EMAIL_KINDS],
    updatedAt: new Date(),
  };
  const template = (productId: number | null, changes: Partial<EmailTemplate> = {}): EmailTemplate => ({
    productId,
    kind: 'license_renewed',
    fromName: null,
    fromAddress: null,
    subject: `${productId ?? 'account'} subject`,
    textBody: 'text',
    htmlBody: 'html',
    updatedAt: new Date(),
    ...changes,
  });

  it.each([
    [
      'the built-in template without any saved',
      null,
      null,
      'built-in',
      'Your {{productName}} license was renewed',
    ],
    ['the account default over the built-in one', null, template(null), 'account', 'account subject'],
    ["the product's own over the account's", template(3), template(null), 'product', '3 subject'],
  ])('uses %s', (_name, own, account, source, subject) => {
    const effective = effectiveTemplate('license_renewed', 3, own, account);
    expect(effective.source).toBe(source);
    expect(effective.subject).toBe(subject);
  });

  it("takes the sender from the product's template, else the account's template, else the settings", () => {
    const named = effectiveTemplate(
      'license_renewed',
      3,
      template(3, { fromName: 'Product' }),
      template(null, {
        fromAddress: 'account@acme.test',
      }),
    );
    const mail = composeEmail(engine, settings, named, 'c@x.test', {});
    expect(mail.from).toEqual({ name: 'Product', address: 'account@acme.test' });
    const plain = composeEmail(engine, settings, effectiveTemplate('test', null, null, null), 'c@x.test', {});
    expect(plain.from).toEqual({ name: 'Acme', address: 'sales@acme.test' });
  });

  it('keeps the subject on one line whatever a value holds', () => {
    const effective = effectiveTemplate(
      'license_renewed',
      null,
      template(null, { subject: 'For {{n}}' }),
      null,
    );
    const mail = composeEmail(engine, settings, effective, 'c@x.test', { n: 'a\r\nBcc: evil@x.test' });
    expect(mail.subject).toBe('For a Bcc: evil@x.test');
  });

  it('renders a built-in template with the values of its kind', () => {
    const mail = composeEmail(
      engine,
      settings,
      effectiveTemplate('license_delivered', 1, null, null),
      'c@x.test',
      {
        licenseKey: 'KEY-1',
        productName: 'Editor',
        policyName: 'Pro',
        customerName: '',
        expiresAt: '',
        maxMachines: '3',
      },
    );
    expect(mail.subject).toBe('Your license for Editor');
    expect(mail.text).toContain('Hello,\n');
    expect(mail.text).toContain('License key: KEY-1\nPlan: Pro\nComputers: up to 3\n');
    expect(mail.text).not.toContain('Valid until');
    expect(mail.html).toContain('KEY-1');
  });
});
