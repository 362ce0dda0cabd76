// Confirmation before irreversible steps (no inline handlers: the CSP allows scripts from this site only).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
