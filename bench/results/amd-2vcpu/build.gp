set encoding utf8
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top right box opaque font ",9"
set style fill solid 0.7 border -1
set bars 1.5
set offsets graph 0, graph 0, graph 0.3, 0
set multiplot layout 1,2 title 'Policy build versus cluster size (pods; policies = pods / 10)' font ',11'
set logscale xy
set xlabel 'pods'
set format x '%.0s%c'
set xrange [500:200000]
set key top left
set ylabel 'build time, ms (median, min-max)'
plot 'build.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'podwall identity compile + ACL (node)', \
     'build.dat' index 0 using 1:5 with linespoints dt 2 lw 2 pt 5 title 'naive per-IP ACL build (node)', \
     'build.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'podwall identity compile + ACL (all-local)', \
     'build.dat' index 1 using 1:5 with linespoints dt 2 lw 2 pt 5 title 'naive per-IP ACL build (all-local)'
set ylabel 'MB'
plot 'build.dat' index 0 using 1:($6 > 0 ? $6 : 1/0) with linespoints lw 2 pt 7 title 'build peak RSS (node)', \
     'build.dat' index 0 using 1:7 with linespoints lw 2 pt 9 title 'snapshot: ACL + address maps (node)', \
     'build.dat' index 0 using 1:8 with linespoints dt 2 lw 2 pt 5 title 'naive ACL (node)', \
     'build.dat' index 1 using 1:($6 > 0 ? $6 : 1/0) with linespoints lw 2 pt 7 title 'build peak RSS (all-local)', \
     'build.dat' index 1 using 1:7 with linespoints lw 2 pt 9 title 'snapshot: ACL + address maps (all-local)', \
     'build.dat' index 1 using 1:8 with linespoints dt 2 lw 2 pt 5 title 'naive ACL (all-local)'
unset multiplot
