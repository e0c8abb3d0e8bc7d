// Dataset page: the filtered row count arrives after the page (a full scan), and Enter in a column filter applies it.
"use strict";
(async () => {
  const total = document.getElementById("total");
  const url = total && total.dataset.countUrl;
  if (url) {
    try { total.textContent = fmtNum((await api(url)).rows); } catch (e) { total.textContent = "?"; }
  }
})();
