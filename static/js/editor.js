// Suggestions while typing in the editor's territory and partner searches.
// Without JavaScript the "Chercher" buttons do the same with a page reload.
// Each suggestion is a real submit button (name="action"), so choosing one
// with the keyboard or the mouse adds it exactly as the no-JS page does.
(function () {
  "use strict";

  function debounce(fn, delay) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, delay);
    };
  }

  function setUp(input) {
    var box = document.createElement("div");
    box.className = "suggestions";
    box.id = input.id + "-suggestions";
    box.setAttribute("aria-live", "polite");
    input.setAttribute("aria-controls", box.id);
    input.closest(".search-add").appendChild(box);
    var lastQuery = "";

    var fetchSuggestions = debounce(function () {
      var query = input.value.trim();
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (query.length < 2) { box.replaceChildren(); return; }
      var url = input.dataset.suggest;
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query), {
        headers: { "Accept": "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { render(data.results || []); })
        .catch(function () { box.replaceChildren(); });
    }, 200);

    function render(results) {
      box.replaceChildren();
      if (!results.length) {
        var none = document.createElement("p");
        none.className = "muted";
        none.textContent = box.dataset.empty || "—";
        box.appendChild(none);
        return;
      }
      var list = document.createElement("ul");
      results.forEach(function (result) {
        var item = document.createElement("li");
        var button = document.createElement("button");
        button.className = "button-secondary button-small";
        button.textContent = result.label;
        if (input.dataset.suggestFill !== undefined) {
          // A field filled by the choice (the seat of a new organisation), not an action.
          button.type = "button";
          button.addEventListener("click", function () {
            input.value = result.label;
            lastQuery = result.label;
            box.replaceChildren();
            input.focus();
          });
        } else {
          button.type = "submit";
          button.name = "action";
          button.value = input.dataset.suggestAction + result.value;
        }
        var detail = document.createElement("span");
        detail.className = "muted";
        detail.textContent = " " + result.detail;
        item.appendChild(button);
        item.appendChild(detail);
        list.appendChild(item);
      });
      box.appendChild(list);
    }

    input.addEventListener("input", fetchSuggestions);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = box.querySelector("button");
        if (first) { event.preventDefault(); first.focus(); }
      }
    });
  }

  // The new-organisation panel opens on the name searched for (the page does
  // the same without JavaScript after a search).
  function prefillOnOpen(panel) {
    panel.addEventListener("toggle", function () {
      var name = panel.querySelector("input[data-prefill-from]");
      if (!panel.open || !name || name.value.trim()) { return; }
      var source = document.getElementById(name.dataset.prefillFrom);
      var query = source ? source.value.trim() : "";
      if (query && !/^[\d\s]+$/.test(query)) { name.value = query; }
    });
  }

  // Live counters: « 123 / 600 caractères » as one types; a screen reader
  // hears the count only near the limit, once typing pauses.
  function setUpCounter(counter) {
    var field = document.getElementById(counter.dataset.counterFor);
    var form = counter.closest("form");
    if (!field || !form) { return; }
    var max = parseInt(counter.dataset.counterMax, 10);
    var text = counter.querySelector(".counter-text");
    var live = counter.querySelector(".counter-live");
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
    var near = Math.max(20, Math.round(max / 10));

    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (all, name) {
        return name in values ? format.format(values[name]) : all;
      });
    }
    var announce = debounce(function () {
      var left = max - field.value.length;
      var message = "";
      if (left <= 0) {
        message = fill(form.dataset.counterFull || "", { max: max });
      } else if (left <= near) {
        message = fill(form.dataset.counterLeft || "", { left: left });
      }
      if (live.textContent !== message) { live.textContent = message; }
    }, 800);
    function update() {
      var count = field.value.length;
      text.textContent = fill(form.dataset.counterText || "{count} / {max}", { count: count, max: max });
      counter.classList.toggle("counter-near", max - count <= near);
      announce();
    }
    field.addEventListener("input", update);
    update();
  }

  function enhance(root) {
    root.querySelectorAll("input[data-suggest]").forEach(setUp);
    root.querySelectorAll("details.new-organization").forEach(prefillOnOpen);
    root.querySelectorAll("[data-counter-for]").forEach(setUpCounter);
  }

  // Keep your place: a search, adding or removing a territory or a partner,
  // « Créer et ajouter » send the form as without JavaScript, and only the
  // section acted on (and the notices at the top) are replaced by the same
  // sections of the server's answer; focus goes where the server says
  // (data-focus, the element it marks with autofocus without JavaScript).
  var ROUND_TRIP = /^(find_territory|add_territory|remove_territory|find_partner|add_partner|create_partner)(:|$)/;

  function focusMarked(form, root) {
    var target = root.querySelector("[autofocus]") ||
      (form.dataset.focus && document.getElementById(form.dataset.focus));
    if (target) { target.focus(); }
  }

  function announce(doc) {
    var region = document.getElementById("editor-announce");
    if (!region) { return; }
    var parts = [];
    doc.querySelectorAll(".messages .message").forEach(function (message) {
      parts.push(message.textContent.trim());
    });
    var fresh = doc.getElementById("editor-announce");
    if (fresh && fresh.textContent.trim()) { parts.push(fresh.textContent.trim()); }
    region.textContent = "";
    setTimeout(function () { region.textContent = parts.join(" "); }, 100);
  }

  // What each field of `root` holds, by id: to carry what is typed while a
  // round-trip is on its way into the section that replaces it.
  function fieldValues(root) {
    var values = {};
    root.querySelectorAll("input[id], textarea[id], select[id]").forEach(function (field) {
      values[field.id] = field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
    });
    return values;
  }

  function carryTyped(before, section, fresh) {
    var now = fieldValues(section);
    Object.keys(now).forEach(function (id) {
      if (now[id] === before[id]) { return; }
      var field = fresh.querySelector("#" + CSS.escape(id));
      if (!field) { return; }
      if (field.type === "checkbox" || field.type === "radio") { field.checked = now[id]; }
      else { field.value = now[id]; }
    });
  }

  function roundTrip(form, submitter, state) {
    var section = submitter.closest(".editor-section");
    if (!section || !section.id) { return false; }
    var before = fieldValues(section);
    var data = new FormData(form);
    data.append(submitter.name, submitter.value);
    // Not form.action: the buttons named "action" shadow that property.
    var url = (submitter.hasAttribute("formaction") ? submitter.formAction
      : form.getAttribute("action") || window.location.href).split("#")[0];
    form.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
    })
      .then(function (response) {
        if (response.redirected || !(response.ok || response.status === 400)) {
          throw new Error("not an editor page");
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(section.id);
        var freshForm = doc.getElementById("editor-form");
        if (!fresh || !freshForm) { throw new Error("not an editor page"); }
        carryTyped(before, section, fresh);
        section.replaceWith(fresh);
        var notices = document.getElementById("editor-notices");
        var freshNotices = doc.getElementById("editor-notices");
        if (notices && freshNotices) { notices.replaceWith(freshNotices); }
        form.dataset.focus = freshForm.dataset.focus || "";
        form.removeAttribute("aria-busy");
        state.dirty = true;
        enhance(fresh);
        announce(doc);
        // A button pressed meanwhile: pressed again, in the new section, if it is still there.
        var pending = state.pending;
        state.pending = null;
        var again = pending && form.querySelector(
          'button[name="action"][value="' + CSS.escape(pending) + '"]');
        if (again) { roundTrip(form, again, state); } else { focusMarked(form, fresh); }
      })
      .catch(function () {
        // Whatever went wrong, the page without JavaScript does it.
        form.removeAttribute("aria-busy");
        state.reload = true;
        if (submitter.isConnected) {
          form.requestSubmit(submitter);
        } else {
          var action = document.createElement("input");
          action.type = "hidden";
          action.name = submitter.name;
          action.value = submitter.value;
          form.appendChild(action);
          state.leaving = true;
          form.submit();
        }
      });
    return true;
  }

  function setUpEditor(form) {
    var state = {
      dirty: form.hasAttribute("data-unsaved"), leaving: false, reload: false, pending: null,
    };

    // Enter in a search box presses its « Chercher » (in the new-organisation
    // panel: « Créer et ajouter »), not the form's default button.
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key !== "Enter" || event.isComposing || target.tagName !== "INPUT") { return; }
      var box = target.closest(".search-add");
      var button = box && box.querySelector("[data-enter-target]");
      if (!button) {
        var panel = target.closest("details.new-organization");
        button = panel && panel.querySelector('button[value="create_partner"]');
      }
      if (button) {
        event.preventDefault();
        button.click();
      }
    });

    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (!state.reload && submitter && ROUND_TRIP.test(submitter.value || "")) {
        event.preventDefault();
        if (/^find_/.test(submitter.value)) {
          // A new search: the previous results are not offered meanwhile (focus is
          // in the search box, not among them).
          var searched = submitter.closest(".editor-section");
          if (searched) {
            searched.querySelectorAll(".candidates").forEach(function (list) { list.hidden = true; });
          }
        }
        if (form.getAttribute("aria-busy") === "true") {
          // Pressed meanwhile: done next, unless a search is already waiting, which
          // a stale « Ajouter » of the previous results must not replace.
          if (!/^find_/.test(state.pending || "")) { state.pending = submitter.value; }
          return;
        }
        if (roundTrip(form, submitter, state)) { return; }
      }
      state.leaving = true;
    });

    // A warning before leaving what was typed and not saved.
    form.addEventListener("input", function (event) {
      if (event.target.type !== "search") { state.dirty = true; }
    });
    form.addEventListener("change", function (event) {
      if (event.target.type !== "search") { state.dirty = true; }
    });
    window.addEventListener("beforeunload", function (event) {
      if (state.dirty && !state.leaving) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    focusMarked(form, document);
  }

  // The error summary: its links move focus to the field, its label in view.
  function setUpSummary(summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView({ block: "center" });
      field.focus({ preventScroll: true });
    });
    summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    var form = document.getElementById("editor-form");
    if (form) { setUpEditor(form); }
    var summary = document.getElementById("error-summary");
    if (summary) { setUpSummary(summary); }
  });
})();
