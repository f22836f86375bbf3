// Starts the vendored Swagger UI on /docs. A file, not an inline script, so the page runs
// under the same CSP as the app (script-src 'self'); validatorUrl null keeps the page from
// sending the schema to validator.swagger.io.
/* global SwaggerUIBundle */
SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
