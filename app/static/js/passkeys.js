/* Vereinsraum – passkeys (WebAuthn): add one on the account page, log in with one on the code page.
   Progressive: the forms stay hidden without this file or without WebAuthn; the app code always works.
   No inline scripts (strict CSP); the server speaks the JSON of the `webauthn` library (base64url). */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body || new URLSearchParams(),
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.error || response.statusText);
        return json;
      });
    });
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBuffer(item.id), transports: item.transports };
    });
  }

  function credentialJSON(credential, fields) {
    var response = {};
    fields.forEach(function (name) {
      if (credential.response[name]) response[name] = toBase64url(credential.response[name]);
    });
    if (credential.response.getTransports) response.transports = credential.response.getTransports();
    return JSON.stringify({
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    });
  }

  function setUp(form, errorId, run) {
    var error = document.getElementById(errorId);
    form.hidden = false;
    var note = document.getElementById("passkey-no-js");
    if (note) note.hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      error.hidden = true;
      run(form)
        .then(function (json) {
          window.location.assign(json.redirect);
        })
        .catch(function (problem) {
          error.textContent = problem && problem.name === "NotAllowedError"
            ? form.getAttribute("data-cancelled") || problem.message
            : problem.message;
          error.hidden = false;
          button.disabled = false;
        });
    });
  }

  var register = document.getElementById("passkey-register");
  if (register) {
    setUp(register, "passkey-register-error", function (form) {
      return post(form.getAttribute("data-options-url")).then(function (options) {
        options.challenge = toBuffer(options.challenge);
        options.user.id = toBuffer(options.user.id);
        options.excludeCredentials = descriptors(options.excludeCredentials);
        return navigator.credentials.create({ publicKey: options }).then(function (credential) {
          var body = new URLSearchParams(new FormData(form));
          body.set("credential", credentialJSON(credential, ["clientDataJSON", "attestationObject"]));
          return post(form.getAttribute("data-url"), body);
        });
      });
    });
  }

  var login = document.getElementById("passkey-login");
  if (login) {
    setUp(login, "passkey-login-error", function (form) {
      return post(form.getAttribute("data-options-url")).then(function (options) {
        options.challenge = toBuffer(options.challenge);
        options.allowCredentials = descriptors(options.allowCredentials);
        return navigator.credentials.get({ publicKey: options }).then(function (credential) {
          var body = new URLSearchParams();
          body.set(
            "credential",
            credentialJSON(credential, ["clientDataJSON", "authenticatorData", "signature", "userHandle"])
          );
          return post(form.getAttribute("data-url"), body);
        });
      });
    });
  }
})();
