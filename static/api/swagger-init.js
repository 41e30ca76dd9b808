// Swagger UI of /api/v1/docs (api/templates/api/docs.html); a file, not an inline script,
// so the page keeps the portal's content security policy (core/security.py).
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();
