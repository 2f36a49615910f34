// The docs page's settings for Swagger UI (mod_api/docs.py): read the API's OpenAPI document, offline.
'use strict';
window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.dataset.document,
    domNode: root,
    deepLinking: true,
    displayOperationId: true,
    // No badge from an online validator: the page asks nothing of any other site.
    validatorUrl: null,
    // Try it out: the API answers GET and HEAD; a token goes in through Authorize.
    supportedSubmitMethods: ['get', 'head'],
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
