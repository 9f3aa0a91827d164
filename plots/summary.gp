# plots/summary.gp: draw any tabrl summary.csv with plain gnuplot, for your
# own figures (tabrl plot writes a self-contained script of its own next to
# each image; this one reads the CSV, so it follows a rerun).
#
#   gnuplot -e "dir='results/quickstart'" plots/summary.gp
#   gnuplot -e "dir='results/rs'; metric='value'; out='value.svg'; logx=1" plots/summary.gp
#
# dir     results directory holding summary.csv (required)
# metric  cum_regret (default) or value
# out     image file; the terminal follows the extension (.png .svg .pdf)
# logx, logy  1 for log axes
# One line per (algo, config) with its 95% t-interval as a band; configs
# are named by their CSV key (c1, c2 ...; `tabrl plot` names them by their
# swept values, read from the manifest).

if (!exists("dir")) { print "usage: gnuplot -e \"dir='results/NAME'\" plots/summary.gp"; exit }
if (!exists("metric")) metric = "cum_regret"
if (!exists("out")) out = dir."/".metric."-summary.png"
if (!exists("logx")) logx = 0
if (!exists("logy")) logy = 0

file = dir."/summary.csv"
# Column numbers of summary.csv (see README, Output files).
mean = (metric eq "value") ? 10 : 6
lo = mean + 2
hi = mean + 3

ext = out[strlen(out)-3:]
if (ext eq ".svg") { set terminal svg size 960,600 dynamic } \
else { if (ext eq ".pdf") { set terminal pdfcairo size 6in,4in } \
       else { set terminal pngcairo size 960,600 } }
set output out
set datafile separator ","
set key below noenhanced
# gnuplot's own eight colours wrap around; the same 16 as tabrl plot, then
# the same colours dashed (series 17-32), dotted (33-48) ...
array palette[16] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", \
  "#e377c2", "#17becf", "#000000", "#bcbd22", "#7f7f7f", "#00008b", "#8b0000", "#006400", \
  "#ff1493", "#b8860b"]
colour(i) = palette[(i - 1) % 16 + 1]
dash(i) = 1 + ((i - 1) / 16) % 5
set grid
set xlabel "episode"
set ylabel (metric eq "value" ? "value of the committed policy" : "cumulative regret")." (mean, 95% CI)"
if (logx) set logscale x
if (logy) set logscale y

# The series, in the file's order: "algo config" words.
series = system("tail -n +2 '".file."' | cut -d, -f2,3 | awk '!seen[$0]++' | tr ',' ':'")
name(i) = word(series, i)
algo(i) = substr(name(i), 1, strstrt(name(i), ":") - 1)
config(i) = substr(name(i), strstrt(name(i), ":") + 1, strlen(name(i)))
title(i) = (config(i) eq "default") ? algo(i) : algo(i)." ".config(i)
pick(c, i) = (strcol(2) eq algo(i) && strcol(3) eq config(i)) ? column(c) : NaN

plot for [i=1:words(series)] file using 4:(pick(lo, i)):(pick(hi, i)) \
       with filledcurves fillstyle transparent solid 0.2 linecolor rgb colour(i) notitle, \
     for [i=1:words(series)] file using 4:(pick(mean, i)) \
       with lines linewidth 2 linecolor rgb colour(i) dashtype dash(i) title title(i)
