// Swagger UI from local files; kept out of the HTML so the page needs no inline script.
const openapiUrl = document.currentScript.dataset.openapiUrl;
window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({ url: openapiUrl, dom_id: "#swagger-ui", deepLinking: true });
});
