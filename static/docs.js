// Swagger UI from local files; kept out of the HTML so the page needs no inline script.
window.addEventListener("DOMContentLoaded", () => {
  const url = document.currentScript?.dataset.openapiUrl
    || document.querySelector("script[data-openapi-url]").dataset.openapiUrl;
  window.ui = SwaggerUIBundle({ url, dom_id: "#swagger-ui", deepLinking: true });
});
