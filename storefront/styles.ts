/** The whole stylesheet: small enough to inline in every page, so no render-blocking request. */
export const CSS = `
:root{--fg:#1d1d1f;--muted:#55555c;--bg:#fff;--soft:#f4f3f0;--line:#dddbd5;--accent:#1f5f4a;--accent-fg:#fff;--bad:#a4161a;--ok:#1f5f4a;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}img{max-width:100%;height:auto;display:block}
a{color:var(--accent)}a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid #e0a100;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:9}.skip:focus{left:.5rem}
.wrap{max-width:1120px;margin:0 auto;padding:0 1rem}
header.site{border-bottom:1px solid var(--line);background:var(--bg)}
header.site .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding-top:.75rem;padding-bottom:.75rem}
.logo{font-weight:700;font-size:1.2rem;text-decoration:none;color:var(--fg);margin-right:auto}
nav.main ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav.main a{text-decoration:none;color:var(--fg)}nav.main a:hover{text-decoration:underline}
form.search{display:flex;gap:.25rem;flex:1 1 220px;max-width:360px}
input,select,button{font:inherit}
input[type=text],input[type=search],input[type=email],input[type=password],input[type=number],input[type=tel],select{border:1px solid #8a8a90;border-radius:6px;padding:.5rem .6rem;min-width:0;width:100%;background:#fff;color:var(--fg)}
button,.button{display:inline-block;border:0;border-radius:6px;padding:.6rem 1.1rem;background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none;font-weight:600}
button.secondary{background:var(--soft);color:var(--fg);border:1px solid var(--line)}
button[disabled]{opacity:.55;cursor:not-allowed}
.cartlink{font-weight:600;text-decoration:none}
.count{display:inline-block;min-width:1.5em;padding:0 .4em;border-radius:1em;background:var(--accent);color:#fff;text-align:center;font-size:.85em}
main{padding:1.5rem 0 3rem}h1{font-size:1.8rem;line-height:1.2;margin:.25rem 0 1rem}h2{font-size:1.3rem;margin:2rem 0 .75rem}
.hero{background:var(--soft);border-radius:12px;padding:2rem 1.5rem;margin-bottom:1.5rem}
.hero p{margin:.25rem 0 0;color:var(--muted);max-width:46rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:1.25rem;list-style:none;padding:0;margin:0}
.card a{text-decoration:none;color:var(--fg);display:block}
.card img{border-radius:10px;aspect-ratio:1;background:var(--soft);width:100%}
.card h3{font-size:1rem;font-weight:500;margin:.5rem 0 .1rem}.card a:hover h3{text-decoration:underline}
.price{font-weight:600}.was{color:var(--muted);text-decoration:line-through;font-weight:400;margin-left:.4rem}
.muted{color:var(--muted)}.oos{color:var(--bad)}
.section-head{display:flex;align-items:baseline;justify-content:space-between;gap:1rem}
.product{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:2rem}
.gallery img{border-radius:12px;aspect-ratio:1;width:100%}.thumbs{display:flex;gap:.5rem;margin-top:.5rem}.thumbs img{width:72px;border-radius:6px}
fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;margin-bottom:.35rem}
.choices{display:flex;flex-wrap:wrap;gap:.4rem}
.choices label{position:relative}
.choices input{position:absolute;opacity:0;width:1px;height:1px}
.choices span{display:inline-block;border:1px solid #8a8a90;border-radius:6px;padding:.35rem .75rem;min-width:2.6rem;text-align:center;cursor:pointer}
.choices input:checked+span{background:var(--fg);color:#fff;border-color:var(--fg)}
.choices input:focus-visible+span{outline:3px solid #e0a100;outline-offset:2px}
.choices input.unavailable+span{text-decoration:line-through;color:var(--muted)}
.buy{display:flex;gap:.5rem;align-items:end;margin:1rem 0}.buy label{display:grid;gap:.2rem}.buy input{width:5rem}
.status{min-height:1.5rem;margin:.5rem 0}.status.bad,.alert{color:var(--bad)}.status.ok{color:var(--ok)}
.alert{border:1px solid var(--bad);border-radius:8px;padding:.75rem 1rem;background:#fdf1f1}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.5rem .25rem;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right}
.totals{max-width:360px;margin-left:auto}.totals div{display:flex;justify-content:space-between;padding:.2rem 0}.totals .grand{font-weight:700;border-top:1px solid var(--line);margin-top:.3rem;padding-top:.5rem}
.form{display:grid;gap:.85rem;max-width:520px}.form label{display:grid;gap:.25rem;font-weight:500}.form fieldset label{display:flex;gap:.5rem;align-items:center;font-weight:400;margin:.25rem 0}.form fieldset input{width:auto}
button.link{background:none;border:0;padding:0;color:var(--accent);text-decoration:underline;font-weight:400}.row{display:grid;grid-template-columns:1fr 1fr;gap:.75rem}
.layout2{display:grid;grid-template-columns:minmax(0,1.4fr) minmax(0,1fr);gap:2rem}
.filters{display:grid;gap:1rem}.filters fieldset{max-height:14rem;overflow:auto}.filters label{display:flex;gap:.4rem;align-items:center;font-weight:400}
.searchlayout{display:grid;grid-template-columns:220px minmax(0,1fr);gap:1.5rem}
.pager{display:flex;gap:1rem;margin-top:1.5rem}
footer.site{border-top:1px solid var(--line);padding:1.5rem 0;color:var(--muted);font-size:.9rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:720px){.product,.layout2,.searchlayout{grid-template-columns:1fr}.grid{grid-template-columns:repeat(2,minmax(0,1fr));gap:.9rem}h1{font-size:1.5rem}.row{grid-template-columns:1fr}}
`
  .replace(/\n/g, '')
  .trim();
