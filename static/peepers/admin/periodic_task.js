// The periodic task form (templates/admin/djcelery/change_periodictask_form.html): under the
// crontab choice, what the chosen schedule means in words; the separate translation row goes.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const data = document.getElementById("readable-crontabs");
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) {
    return;
  }
  const readable = JSON.parse(data.textContent);
  const meaning = document.createElement("div");
  meaning.className = "crontab-meaning";
  help.append(meaning);
  const show = () => {
    const words = readable[select.value];
    meaning.textContent = words ? `Translation: ${words}` : "";
  };
  select.addEventListener("change", show);
  show();
  for (const row of document.querySelectorAll(".field-crontab_translation")) {
    row.style.display = "none";
  }
});
