// Render /api/openapi.json as a readable page: operations grouped by tag,
// with their parameters, bodies, responses and examples, then the shared
// schemas.  The page builds plain DOM nodes without a framework or a build
// step, and inserts text from the document as text, never as HTML.

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function element(tag, attrs = {}, ...children) {
	const node = document.createElement(tag);
	for (const [name, value] of Object.entries(attrs))
		node.setAttribute(name, value);
	for (const child of children)
		if (child !== null && child !== undefined)
			node.append(child);
	return node;
}

// The small part of Markdown the document uses: paragraphs, `code` and
// **bold**.
function markdown(text) {
	const out = document.createDocumentFragment();
	for (const paragraph of (text || '').split(/\n\n+/)) {
		const p = element('p');
		for (const piece of paragraph.split(/(`[^`]*`|\*\*[^*]*\*\*)/)) {
			if (piece.startsWith('`') && piece.endsWith('`') && piece.length > 1)
				p.append(element('code', {}, piece.slice(1, -1)));
			else if (piece.startsWith('**') && piece.endsWith('**') && piece.length > 3)
				p.append(element('strong', {}, piece.slice(2, -2)));
			else
				p.append(piece);
		}
		out.append(p);
	}
	return out;
}

// Follow a local "$ref" such as "#/components/schemas/Post".
function resolve(doc, value) {
	if (!value || typeof value.$ref !== 'string')
		return value;
	let target = doc;
	for (const key of value.$ref.replace(/^#\//, '').split('/'))
		target = target[key];
	return resolve(doc, target);
}

function refName(value) {
	return value && typeof value.$ref === 'string' ?
	    value.$ref.split('/').pop() : null;
}

// A one-line type: "string (uuid)", "array of Post", "Post", "string | null".
function typeText(doc, schema) {
	const name = refName(schema);
	if (name)
		return element('a', { href: '#schema-' + name }, name);
	if (!schema)
		return '';

	if (schema.oneOf) {
		const span = element('span');
		schema.oneOf.forEach((s, i) => {
			if (i > 0)
				span.append(' or ');
			span.append(typeText(doc, s));
		});
		return span;
	}

	const types = [].concat(schema.type || 'any');
	const span = element('span');
	if (types.includes('array')) {
		span.append('array of ', typeText(doc, schema.items));
		return span;
	}
	span.append(types.join(' | '));

	const notes = [];
	if (schema.format)
		notes.push(schema.format);
	if (schema.enum)
		notes.push('one of ' + schema.enum.map(v => JSON.stringify(v)).join(', '));
	if (schema.minLength !== undefined || schema.maxLength !== undefined)
		notes.push(`${schema.minLength ?? 0}-${schema.maxLength ?? '…'} characters`);
	if (schema.minimum !== undefined || schema.maximum !== undefined)
		notes.push(`${schema.minimum ?? '…'}-${schema.maximum ?? '…'}`);
	if (schema.default !== undefined)
		notes.push('default ' + JSON.stringify(schema.default));
	if (notes.length)
		span.append(' (' + notes.join('; ') + ')');
	return span;
}

// A table of an object schema's properties, or its one-line type.
function schemaView(doc, schema) {
	const target = resolve(doc, schema);
	if (!target || !target.properties)
		return element('p', {}, 'Type: ', typeText(doc, schema));
	const required = new Set(target.required || []);
	const table = element('table', {},
	    element('tr', {}, element('th', {}, 'field'), element('th', {}, 'type'),
		element('th', {}, 'description')));
	for (const [name, prop] of Object.entries(target.properties)) {
		const resolved = resolve(doc, prop);
		table.append(element('tr', {},
		    element('td', {}, element('code', {}, name),
			required.has(name) ? element('span', { class: 'required' }, ' required') : null),
		    element('td', {}, typeText(doc, prop)),
		    element('td', {}, (prop.description || resolved.description || ''))));
	}
	if (refName(schema))
		return element('div', {}, element('p', {}, 'Schema: ', typeText(doc, schema)), table);
	return table;
}

function exampleView(media) {
	const examples = [];
	if (media.example !== undefined)
		examples.push(media.example);
	for (const example of Object.values(media.examples || {}))
		examples.push(example.value);
	return examples.map(value => element('pre', {},
	    typeof value === 'string' ? value : JSON.stringify(value, null, 2)));
}

function contentView(doc, content) {
	const out = document.createDocumentFragment();
	for (const [type, media] of Object.entries(content || {})) {
		out.append(element('p', {}, element('code', {}, type)));
		if (media.schema)
			out.append(schemaView(doc, media.schema));
		out.append(...exampleView(media));
	}
	return out;
}

function parametersView(doc, parameters) {
	if (!parameters.length)
		return null;
	const table = element('table', {},
	    element('tr', {}, element('th', {}, 'parameter'), element('th', {}, 'in'),
		element('th', {}, 'type'), element('th', {}, 'description')));
	for (const p of parameters.map(p => resolve(doc, p)))
		table.append(element('tr', {},
		    element('td', {}, element('code', {}, p.name),
			p.required ? element('span', { class: 'required' }, ' required') : null),
		    element('td', {}, p.in),
		    element('td', {}, typeText(doc, p.schema)),
		    element('td', {}, p.description || '')));
	return element('div', {}, element('h4', {}, 'Parameters'), table);
}

function operationView(doc, path, method, pathItem, op) {
	const parameters = [...(pathItem.parameters || []), ...(op.parameters || [])];
	const body = element('div', {}, markdown(op.description || ''),
	    parametersView(doc, parameters));
	if (op.requestBody) {
		const requestBody = resolve(doc, op.requestBody);
		body.append(element('h4', {}, 'Request body'),
		    contentView(doc, requestBody.content));
	}
	body.append(element('h4', {}, 'Responses'));
	for (const [status, value] of Object.entries(op.responses)) {
		const response = resolve(doc, value);
		body.append(element('p', {}, element('span', { class: 'status' }, status), ' ',
		    response.description || ''));
		body.append(contentView(doc, response.content));
	}
	return element('details', { class: 'op', id: op.operationId },
	    element('summary', {},
		element('span', { class: 'method ' + method }, method.toUpperCase()),
		element('span', { class: 'path' }, path),
		element('span', { class: 'auth' }, op['x-bunnybook-auth'] || ''),
		element('span', {}, op.summary || '')),
	    body);
}

function render(doc) {
	const main = document.getElementById('doc');
	const nav = document.getElementById('tags');
	main.replaceChildren(markdown(doc.info.description));

	for (const tag of doc.tags) {
		const section = element('section', { id: 'tag-' + tag.name },
		    element('h2', {}, tag.name), markdown(tag.description));
		for (const [path, item] of Object.entries(doc.paths))
			for (const method of METHODS)
				if (item[method] && item[method].tags.includes(tag.name))
					section.append(operationView(doc, path, method, item, item[method]));
		nav.append(element('a', { href: '#tag-' + tag.name }, tag.name));
		main.append(section);
	}

	const schemas = element('section', { id: 'schemas' }, element('h2', {}, 'Schemas'));
	for (const [name, schema] of Object.entries(doc.components.schemas))
		schemas.append(element('h3', { id: 'schema-' + name }, name),
		    markdown(schema.description || ''), schemaView(doc, { ...schema, $ref: undefined }));
	nav.append(element('a', { href: '#schemas' }, 'Schemas'));
	main.append(schemas);
}

fetch('/api/openapi.json')
	.then(response => {
		if (!response.ok)
			throw new Error('GET /api/openapi.json failed with status ' + response.status);
		return response.json();
	})
	.then(render)
	.catch(error => {
		document.getElementById('doc').replaceChildren(
		    element('p', {}, 'The API description could not be loaded: ' + error.message));
	});
