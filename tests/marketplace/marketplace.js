// marketplace.js - renders a connector from its manifest alone, as the App
// Marketplace does: the connector card, the profile card and the quick
// settings form (JSON Editor, as shipped, from quick_settings_schema). On
// submit the settings are checked by the schema in the page and then by the
// plugin's own validation (POST /validate -> connector-host validate); each
// message is shown at the field it names.
'use strict';

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  children.forEach((c) => e.append(c));
  return e;
}

function renderConnector(m) {
  const limits = el('dl', { class: 'limits' });
  Object.entries(m.limits).forEach(([k, v]) => {
    limits.append(el('dt', {}, k.replace(/_/g, ' ')),
      el('dd', {}, typeof v === 'object' ? `${v.min} to ${v.max}` : String(v)));
  });
  const ids = el('p', { class: 'tags', id: 'identifier-types' });
  m.identifiers.forEach((i) => ids.append(el('span', {}, i.tiktok_type)));
  document.getElementById('connector').append(
    el('h1', { id: 'connector-name' }, m.name),
    el('p', { class: 'meta' }, `version ${m.version} \u00b7 ABI ${m.abi.major}.${m.abi.minor}`),
    el('p', { id: 'connector-description' }, m.description),
    el('h3', {}, 'Identifier types'), ids,
    el('h3', {}, 'Limits'), limits);
}

function renderProfile(p) {
  const roles = el('p', { class: 'tags' });
  p.required_roles.forEach((r) => roles.append(el('span', {}, r)));
  document.getElementById('profile').append(
    el('h2', { id: 'profile-title' }, p.title), el('p', {}, p.description),
    el('p', { class: 'meta' }, `Sign-in: ${p.auth_type}; the link is valid for ${p.authorization_url_validity}`),
    el('h3', {}, 'Roles that can deliver'), roles);
}

// The editor of a settings path such as "existing_audiences.7212...[0]", or
// of its nearest parent that has one.
function editorFor(editor, field) {
  let p = ('root.' + field).replace(/\[(\d+)\]/g, '.$1');
  for (;;) {
    const ed = editor.getEditor(p);
    if (ed || p === 'root') return ed || editor.root;
    p = p.slice(0, p.lastIndexOf('.'));
  }
}

function showErrors(editor, errors) {
  document.querySelectorAll('.field-error').forEach((e) => e.remove());
  errors.forEach((err) => {
    const ed = editorFor(editor, err.field || '');
    const box = el('div', { class: 'field-error', 'data-field': err.field || '' }, err.message);
    ed.container.append(box);
  });
}

async function submit(editor) {
  const settings = editor.getValue();
  const schemaErrors = editor.validate();
  const verdict = document.getElementById('verdict');
  document.getElementById('settings-json').textContent = JSON.stringify(settings, null, 2);
  const r = await fetch('/validate', { method: 'POST', body: JSON.stringify(settings) });
  const host = await r.json();
  showErrors(editor, host.errors || []);
  verdict.className = host.valid ? 'ok' : 'bad';
  verdict.textContent = host.valid ? 'The connector accepts these settings.'
    : `The connector refuses these settings (${(host.errors || []).length} problem(s)).`;
  return { settings, schemaErrors, host };
}

window.marketplace = (async () => {
  const manifest = await (await fetch('/manifest.json')).json();
  renderConnector(manifest);
  renderProfile(manifest.profile);
  const editor = new JSONEditor(document.getElementById('form'), {
    schema: manifest.quick_settings_schema,
    theme: 'html',
    disable_edit_json: true,
    disable_properties: false,
    disable_collapse: true,
    show_opt_in: true,
    show_errors: 'interaction',
  });
  await new Promise((resolve) => editor.on('ready', resolve));
  document.getElementById('submit').addEventListener('click', () => submit(editor));
  return { manifest, editor, submit: () => submit(editor) };
})();
