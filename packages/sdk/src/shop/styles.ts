/** The drawer's styles, scoped by its shadow root: the page's CSS cannot reach in, and these cannot leak out. */
export const STYLES = `
:host{all:initial;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1f}
*{box-sizing:border-box}
button,input,select{font:inherit;color:inherit}
button{cursor:pointer}
:focus-visible{outline:3px solid #2d6cdf;outline-offset:2px}
.fab{position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;gap:8px;align-items:center;border:0;border-radius:999px;padding:12px 18px;background:#1b1b1f;color:#fff;box-shadow:0 6px 20px rgba(0,0,0,.25)}
.fab .count{background:#fff;color:#1b1b1f;border-radius:999px;min-width:22px;padding:0 6px;font-weight:600;text-align:center}
.overlay{position:fixed;inset:0;z-index:2147483001;background:rgba(20,20,25,.45)}
.drawer{position:fixed;top:0;right:0;bottom:0;z-index:2147483002;width:min(440px,100vw);background:#fff;display:flex;flex-direction:column;box-shadow:-8px 0 30px rgba(0,0,0,.2)}
[hidden]{display:none!important}
header{display:flex;align-items:center;justify-content:space-between;padding:16px 20px;border-bottom:1px solid #e6e6ea}
h2{font-size:18px;margin:0}
h3{font-size:15px;margin:18px 0 8px}
.close{border:0;background:none;font-size:24px;line-height:1;padding:4px 8px;border-radius:6px}
.body{flex:1;overflow:auto;padding:16px 20px}
.foot{border-top:1px solid #e6e6ea;padding:16px 20px}
ul{list-style:none;margin:0;padding:0}
.line{display:grid;grid-template-columns:1fr auto;gap:6px 12px;padding:12px 0;border-bottom:1px solid #f0f0f3}
.line .title{font-weight:600}
.line .price{text-align:right}
.line .link{justify-self:end}
.line .variant,.muted{color:#5d5d66;font-size:13px}
.qty{display:flex;align-items:center;gap:6px}
.qty input[type=number]{width:64px;padding:6px;border:1px solid #c9c9d1;border-radius:6px;text-align:center}
.qty button,.link{border:1px solid #c9c9d1;background:#fff;border-radius:6px;padding:4px 10px}
.link{border:0;padding:4px 0;color:#b3261e;text-decoration:underline}
.totals{display:grid;grid-template-columns:1fr auto;gap:4px 12px;margin:12px 0}
.totals span:nth-child(even){text-align:right}
.totals .grand{font-weight:700;font-size:17px}
.primary{width:100%;border:0;border-radius:8px;padding:13px;background:#1b1b1f;color:#fff;font-weight:600}
.primary[disabled]{opacity:.6;cursor:progress}
.secondary{width:100%;border:1px solid #c9c9d1;border-radius:8px;padding:11px;background:#fff;margin-top:8px}
label{display:block;font-size:13px;font-weight:600;margin:10px 0 4px}
input[type=text],input[type=email],input:not([type]),input[inputmode]{width:100%;padding:9px 10px;border:1px solid #c9c9d1;border-radius:6px}
.row{display:grid;grid-template-columns:1fr 1fr;gap:0 10px}
.rates{border:0;padding:0;margin:0}
.rates legend{font-weight:600;padding:0}
.rates label{display:flex;gap:10px;align-items:center;font-weight:400;font-size:15px;border:1px solid #c9c9d1;border-radius:8px;padding:10px 12px;margin:6px 0}
.rates label span:last-child{margin-left:auto}
.alert{background:#fdecea;color:#8c1d18;border:1px solid #f3b8b3;border-radius:8px;padding:10px 12px;margin:0 0 12px}
.alert:empty{display:none}
.done{text-align:center;padding:24px 0}
.done .mark{font-size:40px;color:#1e7d32}
.empty{color:#5d5d66;text-align:center;padding:40px 0}
`;
