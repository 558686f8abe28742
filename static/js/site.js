// Small enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});

// A GET form sends its blank fields too (q=&year_min=&ongoing=): the filters
// read them as no filter, but the address a visitor copies would carry them
// all. Drop them from what the form sends, by htmx (the request and the
// address it pushes) or by the browser itself.
(function () {
  function dropBlank(formData) {
    var names = [];
    formData.forEach(function (value, name) {
      if (value === "" && names.indexOf(name) < 0) { names.push(name); }
    });
    names.forEach(function (name) {
      var kept = formData.getAll(name).filter(function (value) { return value !== ""; });
      formData.delete(name);
      kept.forEach(function (value) { formData.append(name, value); });
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "get") { dropBlank(event.detail.formData); }
  });

  // Fired while the browser builds what a form submits (not for htmx, which
  // reads the fields itself): capture it, it does not bubble.
  document.addEventListener("formdata", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "get").toLowerCase() === "get") {
      dropBlank(event.formData);
    }
  }, true);
})();
